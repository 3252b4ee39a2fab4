"""``callkit notebooks build``, ``callkit grade`` and ``callkit lab``.

Registered from callkit/cli.py with one call; the heavy imports (nbformat, nbclient) happen
only when one of these commands runs, so the other commands start as fast as before.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_lab_commands(sub: argparse._SubParsersAction) -> None:
    notebooks = sub.add_parser("notebooks", help="the student notebooks").add_subparsers(
        dest="what", required=True)
    build = notebooks.add_parser("build", help="generate notebooks/ from solutions/")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 if notebooks/ is out of date")
    build.add_argument("--solutions", help="solution notebooks (default: the repo's solutions/)")
    build.add_argument("--out", help="student notebooks (default: the repo's notebooks/)")
    build.set_defaults(func=cmd_notebooks_build)

    grade = sub.add_parser("grade", help="run notebooks headless and grade their exercises")
    grade.add_argument("paths", nargs="+", metavar="PATH",
                       help="a notebook, or a folder of NN_*.ipynb notebooks")
    grade.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    grade.add_argument("--json", help="also write the reports to this JSON file")
    grade.set_defaults(func=cmd_grade)

    lab = sub.add_parser("lab", help="JupyterLab on notebooks/ at 127.0.0.1 with a token")
    lab.add_argument("--solutions", action="store_true", help="open solutions/ instead")
    lab.add_argument("--port", type=int, help="port (default 8888, or any free one)")
    lab.add_argument("--browser", action="store_true", help="also open it in a browser")
    lab.set_defaults(func=cmd_lab)


def cmd_notebooks_build(args: argparse.Namespace) -> int:
    from .build import build_all, stale
    from .launch import find_repo_root

    root = None if args.solutions and args.out else find_repo_root()
    solutions = Path(args.solutions) if args.solutions else root / "solutions"
    out = Path(args.out) if args.out else root / "notebooks"
    if args.check:
        names = stale(solutions, out)
        if names:
            print(f"{out.name}/ is out of date: {', '.join(names)}; "
                  f"run `callkit notebooks build`", file=sys.stderr)
            return 1
        print(f"{out.name}/ is up to date with {solutions.name}/")
        return 0
    for path in build_all(solutions, out):
        print(f"built {path}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from .grade import grade
    from .markers import is_phase_notebook

    paths: list[Path] = []
    for given in map(Path, args.paths):
        if given.is_dir():
            paths += sorted(p for p in given.iterdir() if is_phase_notebook(p.name))
        elif given.is_file():
            paths.append(given)
        else:
            raise FileNotFoundError(f"no notebook at {given}")
    if not paths:
        raise FileNotFoundError(f"no NN_*.ipynb notebooks in {', '.join(args.paths)}")
    reports = []
    for path in paths:
        reports.append(grade(path, timeout_s=args.timeout))
        print(reports[-1].format(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in reports], indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if all(r.passed for r in reports) else 1


def cmd_lab(args: argparse.Namespace) -> int:
    from .launch import run_lab

    return run_lab(solutions=args.solutions, port=args.port, browser=args.browser)
