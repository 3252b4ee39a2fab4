import datetime as dt
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SEED_DAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory) -> Path:
    """A DuckDB file seeded once per session (dates relative to today, as the demo does)."""
    from callkit.store.db import connect
    from callkit.store.seed import seed

    path = tmp_path_factory.mktemp("db") / "callkit.duckdb"
    con = connect(path)
    seed(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def fixed_con():
    """An in-memory database seeded for a fixed day, for exact assertions."""
    from callkit.store.db import connect
    from callkit.store.seed import seed

    con = connect(":memory:")
    seed(con, today=SEED_DAY)
    yield con
    con.close()
