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


def plotly_module() -> str:
    """plotly.js as the plotly package ships it (no network), opening an ES module: its UMD
    wrapper finds a CommonJS ``module`` and fills it, so ``Plotly`` is a constant of the
    module that follows."""
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return ("const module = { exports: {} };\n" + source.read_text(encoding="utf-8")
            + "\nconst Plotly = module.exports;\n")
