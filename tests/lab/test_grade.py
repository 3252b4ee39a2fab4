"""The grader against real python3 kernels (three in all, a few seconds each)."""

import nbformat

from callkit.lab.build import build_student
from callkit.lab.grade import ExerciseResult, grade, grade_executed

from .notebooks import notebook, write

EXERCISE = "# Exercise 9.1: return the caller's phone\ndef phone():\n"
CHECK = "# Check 9.1\nassert phone() == '555-0100', f'phone() gave {phone()!r}'"


def test_a_notebook_whose_checks_pass_passes_in_its_own_folder_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    (tmp_path / "phone.txt").write_text("555-0100\n")
    path = write(tmp_path / "09_phone.ipynb", notebook(
        "from pathlib import Path\nPHONE = Path('phone.txt').read_text().strip()",
        EXERCISE + "    return PHONE",
        CHECK,
        "# Check 9.1\nimport os\nassert os.environ['HF_HUB_OFFLINE'] == '1'"))

    report = grade(path, timeout_s=60)

    assert report.exercises == (ExerciseResult("9.1", "return the caller's phone", True, ""),)
    assert report.errors == () and report.passed
    assert report.format().splitlines()[0] == "09_phone.ipynb: passed (1/1 exercises)"


def test_a_stub_fails_its_exercise_with_the_stub_message_and_the_others_still_count(tmp_path):
    solution = notebook(
        EXERCISE + "    ### BEGIN SOLUTION\n    return '555-0100'\n    ### END SOLUTION",
        CHECK,
        "# Exercise 9.2: add two numbers\ndef add(a, b):\n    return a + b",
        "# Check 9.2\nassert add(2, 3) == 5")
    path = write(tmp_path / "09_phone.ipynb", build_student(solution))

    report = grade(path, timeout_s=60)

    assert report.exercises == (
        ExerciseResult("9.1", "return the caller's phone", False,
                       "NotImplementedError: Exercise 9.1: return the caller's phone"),
        ExerciseResult("9.2", "add two numbers", True, ""))
    assert report.errors == () and not report.passed


def test_failing_checks_stray_errors_and_hung_cells_are_each_reported(tmp_path):
    path = write(tmp_path / "09_phone.ipynb", notebook(
        EXERCISE + "    return '555-0199'", CHECK, "print('tidy up')\n1 / 0",
        "# Exercise 9.2: wait for the caller\nimport time\ntime.sleep(60)",
        "# Exercise 9.3: never reached\nx = 1"))

    report = grade(path, timeout_s=3)

    assert report.exercises == (
        ExerciseResult("9.1", "return the caller's phone", False,
                       "AssertionError: phone() gave '555-0199'"),
        ExerciseResult("9.2", "wait for the caller", False, "CellTimeoutError: A cell timed out "
                       "while it was being executed, after 3 seconds."),
        ExerciseResult("9.3", "never reached", False, "did not run"))
    assert report.errors == ("the cells after cell 3 did not run",
                             "cell 2: ZeroDivisionError: division by zero")
    text = report.format()
    assert "FAIL" in text and "phone() gave '555-0199'" in text and "ZeroDivisionError" in text
    assert report.to_dict()["passed"] is False


def test_cells_that_never_ran_fail_their_exercise():
    nb = notebook(EXERCISE + "    return 1", CHECK, "x = 1")
    nb.cells[0].execution_count = 1  # a timeout stopped the run in the check cell

    report = grade_executed(nb, "09_phone.ipynb", stopped="a cell ran longer than 1 s")

    assert report.exercises[0].message == "did not run"
    assert report.errors == ("a cell ran longer than 1 s",)


def test_a_check_above_its_exercise_is_plain_code():
    nb = notebook(CHECK, EXERCISE + "    return 1")
    for cell in nb.cells:
        cell.execution_count = 1
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "error", ename="NameError", evalue="name 'phone' is not defined", traceback=[])]

    report = grade_executed(nb, "09_phone.ipynb")

    assert report.exercises[0].passed
    assert report.errors == ("cell 0: NameError: name 'phone' is not defined",)
