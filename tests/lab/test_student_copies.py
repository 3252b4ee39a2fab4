"""The real phase notebooks as a student gets them (issue 9): an untouched copy fails exactly at
its exercises, each with its task's message, and a copy with the solutions' code pasted into
its exercise cells passes. (nbval runs solutions/ itself; see pyproject.toml.)"""

import re
from pathlib import Path

import nbformat
import pytest

from callkit.lab.grade import grade

ROOT = Path(__file__).resolve().parents[2]
STUDENT = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISE = re.compile(r"^# Exercise (\d+\.\d+):", re.M)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", STUDENT, ids=[p.stem for p in STUDENT])
def test_an_untouched_copy_fails_exactly_at_its_exercises(path):
    report = grade(path)
    assert report.exercises, f"{path.name} has no exercises"
    for result in report.exercises:
        assert not result.passed, f"exercise {result.exercise} passes without an answer"
        assert result.message.startswith(f"NotImplementedError: Exercise {result.exercise}:"), (
            result.exercise, result.message)
    assert report.errors == (), f"cells other than exercises failed: {report.errors}"


def test_the_solutions_code_pasted_into_a_student_copy_passes(tmp_path):
    name = "00_setup_and_tour.ipynb"
    solution = nbformat.read(ROOT / "solutions" / name, as_version=4)
    student = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    answers = {c.id: c.source for c in solution.cells if EXERCISE.search(c.source)}
    for cell in student.cells:
        if cell.id in answers:
            cell.source = answers[cell.id]
    pasted = tmp_path / name
    nbformat.write(student, pasted)
    report = grade(pasted)
    assert report.passed, report.format()
    assert len(report.exercises) == 2
