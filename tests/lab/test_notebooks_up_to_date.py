"""notebooks/ must be what `callkit notebooks build` makes of solutions/ (DESIGN.md "Phases")."""

from pathlib import Path

import pytest

from callkit.lab.build import stale

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (ROOT / "solutions").is_dir(), reason="no solutions/ folder yet")
def test_student_notebooks_are_up_to_date():
    out_of_date = stale(ROOT / "solutions", ROOT / "notebooks")
    assert out_of_date == [], (f"notebooks/ is out of date: {', '.join(out_of_date)}; "
                               f"run `callkit notebooks build`")
