"""Student notebooks generated from solutions/ (the source of truth, see DESIGN.md "Layout").

Every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region in a code cell becomes one
``raise NotImplementedError("Exercise N.M: task")`` line, solution-only cells are dropped, and
outputs, execution counts and editor metadata are cleared. The result is serialized the same
way every time, so notebooks/ can be checked in and a check can fail when it is out of date.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .markers import (BEGIN_SOLUTION, END_SOLUTION, exercise_of, is_phase_notebook,
                      is_solution_only)

# Everything else in notebook metadata is editor or widget state that changes on every save.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
# Run timings (JupyterLab's "execution", the ExecuteTime extension's) differ on every run.
DROPPED_CELL_METADATA = ("execution", "ExecuteTime")
# Cell ids exist from nbformat 4.5 on.
MIN_NBFORMAT_MINOR = 5


def build_student(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of a solution notebook; ``name`` only labels errors."""
    cells = [_student_cell(cell, index, name)
             for index, cell in enumerate(nb.cells) if not is_solution_only(cell)]
    metadata = {key: copy.deepcopy(nb.metadata[key])
                for key in KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    return nbformat.from_dict({
        "nbformat": 4,
        "nbformat_minor": max(nb.get("nbformat_minor", 0), MIN_NBFORMAT_MINOR),
        "metadata": metadata,
        "cells": cells,
    })


def _student_cell(cell: NotebookNode, index: int, name: str) -> NotebookNode:
    cell = copy.deepcopy(cell)
    # Solutions saved by an old nbformat have no ids; derive one so rebuilding is stable.
    cell.setdefault("id", f"cell-{index}")
    for key in DROPPED_CELL_METADATA:
        cell.metadata.pop(key, None)
    if cell.cell_type == "code":
        cell.source = stub_solutions(cell.source, f"{name}, cell {index}")
        cell.outputs = []
        cell.execution_count = None
    return cell


def stub_solutions(source: str, where: str) -> str:
    """``source`` with each SOLUTION region replaced by a stub at the marker's indentation."""
    lines = source.split("\n")
    if not any(BEGIN_SOLUTION.match(line) or END_SOLUTION.match(line) for line in lines):
        return source
    exercise = exercise_of(source)
    if exercise is None:
        raise ValueError(f"{where}: has ### SOLUTION markers but no "
                         f"'# Exercise N.M: task' comment line to name its stub")
    message = json.dumps(f"Exercise {exercise[0]}: {exercise[1]}", ensure_ascii=False)
    kept: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        if begin := BEGIN_SOLUTION.match(line):
            if inside:
                raise ValueError(f"{where}: ### BEGIN SOLUTION on line {number} "
                                 f"inside another SOLUTION region")
            inside = True
            kept.append(f"{begin['indent']}raise NotImplementedError({message})")
        elif END_SOLUTION.match(line):
            if not inside:
                raise ValueError(f"{where}: ### END SOLUTION on line {number} "
                                 f"without a BEGIN")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError(f"{where}: ### BEGIN SOLUTION is never closed by ### END SOLUTION")
    stubbed = "\n".join(kept)
    # The grader finds exercises by this line, so it must survive into the student copy.
    if exercise_of(stubbed) != exercise:
        raise ValueError(f"{where}: the '# Exercise {exercise[0]}:' line must be outside "
                         f"the SOLUTION region")
    return stubbed


def student_text(solution: NotebookNode, name: str = "notebook") -> str:
    """The exact file content of the student notebook (what build writes, what stale compares)."""
    text = nbformat.writes(build_student(solution, name), version=4)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write does


def expected_notebooks(solutions_dir: Path) -> dict[str, str]:
    """File name -> student file content, for every ``NN_*.ipynb`` in solutions_dir."""
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"no solutions folder at {solutions_dir}")
    return {path.name: student_text(nbformat.read(path, as_version=4), path.name)
            for path in _phase_notebooks(solutions_dir)}


def build_all(solutions_dir: Path, notebooks_dir: Path) -> list[Path]:
    """Write every student notebook (only those whose content changed) and remove phase
    notebooks that no longer have a solution; returns the student notebooks' paths."""
    expected = expected_notebooks(solutions_dir)
    notebooks_dir.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        path = notebooks_dir / name
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            path.write_text(text, encoding="utf-8", newline="\n")
    for path in _phase_notebooks(notebooks_dir):
        if path.name not in expected:
            path.unlink()
    return [notebooks_dir / name for name in expected]


def stale(solutions_dir: Path, notebooks_dir: Path) -> list[str]:
    """Names of student notebooks that are missing, differ from a fresh build, or have no
    solution any more; empty when notebooks/ is up to date."""
    expected = expected_notebooks(solutions_dir)
    present = {path.name: path for path in _phase_notebooks(notebooks_dir)}
    out_of_date = [name for name, text in expected.items()
                   if name not in present or present[name].read_bytes() != text.encode("utf-8")]
    extra = [name for name in present if name not in expected]
    return sorted(out_of_date + extra)


def _phase_notebooks(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and is_phase_notebook(p.name))
