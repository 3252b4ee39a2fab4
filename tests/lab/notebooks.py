"""Small solution notebooks for the lab tests, built in memory with nbformat.v4."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(*cells) -> nbformat.NotebookNode:
    """Code cells from strings, other cells as given."""
    return new_notebook(
        cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells],
        metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})


def write(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path, version=4)
    return path


def phone_solution() -> nbformat.NotebookNode:
    """Two exercises (one with indented markers in a function body), a check, a solution-only
    markdown cell and a tagged solution-only code cell; outputs and run metadata present."""
    exercise_1 = new_code_cell(
        "# Exercise 9.1: write the SQL that finds a customer by phone\n"
        "### BEGIN SOLUTION\n"
        "SQL = \"SELECT name FROM customers WHERE phone = $1\"\n"
        "### END SOLUTION\n"
        "print(SQL)",
        execution_count=2,
        outputs=[new_output("stream", name="stdout", text="SELECT name …\n")],
        metadata={"execution": {"iopub.execute_input": "2026-11-28T10:00:00.000Z"}})
    exercise_2 = new_code_cell(
        "import sqlite3\n"
        "\n"
        "# Exercise 9.2: look a customer up by phone\n"
        "def lookup(con, phone):\n"
        "    \"\"\"The customer's name, or None.\"\"\"\n"
        "    ### BEGIN SOLUTION\n"
        "    row = con.execute(SQL, [phone]).fetchone()\n"
        "    return row and row[0]\n"
        "    ### END SOLUTION",
        execution_count=3, metadata={"tags": ["exercise"]})
    check = new_code_cell(
        "# Check 9.2\nassert lookup(con, '555-0100') == 'Sarah Johnson'",
        execution_count=4,
        outputs=[new_output("execute_result", data={"text/plain": "True"}, execution_count=4)])
    only_code = new_code_cell("print('the grader key')", metadata={"tags": ["solution-only"]})
    nb = notebook(
        new_markdown_cell("# Phase 9: phones"),
        new_markdown_cell("<!-- solution-only -->\nWhy the SQL uses a parameter."),
        exercise_1, exercise_2, check, only_code)
    for index, cell in enumerate(nb.cells):
        cell.id = f"phones-{index}"  # new_*_cell picks random ids; same input, same ids
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb
