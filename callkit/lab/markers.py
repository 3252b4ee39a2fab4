"""The comments and tags that notebooks use to talk to the lab tooling.

One module so that the builder (which writes stubs) and the grader (which reads exercise ids
back) can never disagree about what a marker looks like. The SOLUTION markers are nbgrader's,
so solutions/ stays usable with nbgrader too.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode

BEGIN_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
END_SOLUTION = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
EXERCISE = re.compile(r"^[ \t]*# Exercise (?P<id>\d+\.\d+):[ \t]*(?P<task>\S.*?)[ \t]*$")
# "# Check 1.2" may be followed by words ("# Check 1.2: finds Sarah"), never by more digits.
CHECK = re.compile(r"^[ \t]*# Check (?P<id>\d+\.\d+)(?![\d.])")

SOLUTION_ONLY_TAG = "solution-only"
SOLUTION_ONLY_COMMENT = "<!-- solution-only -->"
# Phase notebooks are 00_setup.ipynb … 05_polish.ipynb; scratch files next to them are not.
PHASE_NOTEBOOK = re.compile(r"^\d\d_.+\.ipynb$")


def exercise_of(source: str) -> tuple[str, str] | None:
    """(id, task) from the cell's first ``# Exercise N.M: task`` line, or None."""
    for line in source.splitlines():
        if match := EXERCISE.match(line):
            return match["id"], match["task"]
    return None


def checked_exercises(source: str) -> list[str]:
    """Ids of every ``# Check N.M`` line in the cell, in order, without repeats."""
    ids = [m["id"] for line in source.splitlines() if (m := CHECK.match(line))]
    return list(dict.fromkeys(ids))


def is_solution_only(cell: NotebookNode) -> bool:
    """Cells that explain or test the solution itself and must not reach students."""
    if SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
        return True
    return cell.cell_type == "markdown" and SOLUTION_ONLY_COMMENT in cell.source


def is_phase_notebook(name: str) -> bool:
    return PHASE_NOTEBOOK.match(name) is not None
