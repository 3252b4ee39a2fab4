"""The widgets' ES modules and CSS: plain files in the top-level widgets/ folder, shipped in
the wheel (as callkit/_widgets). Shared by the notebook widgets and the call server's page."""

from __future__ import annotations

from pathlib import Path


def asset(name: str) -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here / "_widgets", here.parent / "widgets"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"widget asset {name} is not installed")


def esm(*names: str) -> str:
    """One ES module made of files in widgets/: the shared helpers first (levels.js), then
    the widget's own code, so shared code has one copy and no bundler is needed."""
    return "\n".join(asset(name).read_text(encoding="utf-8") for name in names)
