import copy

import pytest

from callkit.lab.build import build_all, build_student, stale, student_text

from .notebooks import notebook, phone_solution, write

STUB_1 = 'raise NotImplementedError("Exercise 9.1: write the SQL that finds a customer by phone")'
STUB_2 = '    raise NotImplementedError("Exercise 9.2: look a customer up by phone")'


def test_solution_regions_become_stubs_at_the_markers_indentation():
    student = build_student(phone_solution())

    sources = [cell.source for cell in student.cells]
    assert sources[1] == ("# Exercise 9.1: write the SQL that finds a customer by phone\n"
                          f"{STUB_1}\nprint(SQL)")
    assert sources[2].endswith(f'    """The customer\'s name, or None."""\n{STUB_2}')
    for source in sources[1:]:
        compile(source, "student cell", "exec")  # a stub leaves valid Python behind


def test_solution_only_cells_are_dropped_and_everything_else_kept_with_its_id():
    solution = phone_solution()
    student = build_student(solution)

    kept = [solution.cells[i] for i in (0, 2, 3, 4)]
    assert [c.id for c in student.cells] == [c.id for c in kept]
    assert [c.cell_type for c in student.cells] == ["markdown", "code", "code", "code"]
    assert "solution-only" not in student_text(solution)
    assert "grader key" not in student_text(solution)


def test_outputs_counts_and_unstable_metadata_are_cleared():
    solution = phone_solution()
    student = build_student(solution)

    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata
    assert student.cells[2].metadata == {"tags": ["exercise"]}
    assert set(student.metadata) == {"kernelspec", "language_info"}
    assert solution.cells[2].outputs, "the solution notebook itself is left untouched"


def test_the_student_file_is_the_same_bytes_every_time():
    first = student_text(phone_solution())
    assert student_text(copy.deepcopy(phone_solution())) == first
    assert student_text(phone_solution()) == first
    assert first.endswith("}\n")


def test_a_solution_without_an_exercise_line_fails_the_build():
    nb = notebook("x = 1", "### BEGIN SOLUTION\nx = 2\n### END SOLUTION")
    with pytest.raises(ValueError, match=r"09_bad\.ipynb, cell 1: .*'# Exercise N\.M: task'"):
        build_student(nb, "09_bad.ipynb")


@pytest.mark.parametrize("source, problem", [
    ("# Exercise 9.1: t\n### BEGIN SOLUTION\nx = 1", "never closed"),
    ("# Exercise 9.1: t\nx = 1\n### END SOLUTION", "without a BEGIN"),
    ("### BEGIN SOLUTION\n# Exercise 9.1: t\n### END SOLUTION", "outside the SOLUTION region"),
])
def test_broken_markers_fail_the_build(source, problem):
    with pytest.raises(ValueError, match=problem):
        build_student(notebook(source))


def test_stale_names_missing_changed_and_extra_notebooks(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    write(solutions / "09_phones.ipynb", phone_solution())
    write(solutions / "scratch.ipynb", notebook("### BEGIN SOLUTION"))  # not a phase notebook
    assert stale(solutions, notebooks) == ["09_phones.ipynb"]

    assert build_all(solutions, notebooks) == [notebooks / "09_phones.ipynb"]
    assert stale(solutions, notebooks) == []
    built = (notebooks / "09_phones.ipynb").read_bytes()
    build_all(solutions, notebooks)
    assert (notebooks / "09_phones.ipynb").read_bytes() == built

    (notebooks / "09_phones.ipynb").write_text(built.decode().replace("Exercise 9.1", "Ex 9.1"))
    write(notebooks / "08_gone.ipynb", notebook("x = 1"))
    (notebooks / "notes.ipynb").write_text("{}")  # not ours: neither stale nor removed
    assert stale(solutions, notebooks) == ["08_gone.ipynb", "09_phones.ipynb"]

    build_all(solutions, notebooks)
    assert stale(solutions, notebooks) == []
    assert sorted(p.name for p in notebooks.iterdir()) == ["09_phones.ipynb", "notes.ipynb"]
