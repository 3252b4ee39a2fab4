import pytest

from callkit.store.db import connect
from tests.analytics.fixture import build


@pytest.fixture(scope="session")
def fixture_file(tmp_path_factory):
    """The known past of fixture.py in a DuckDB file (written once; copy it to change it)."""
    path = tmp_path_factory.mktemp("analytics") / "known.duckdb"
    build(path)
    return path


@pytest.fixture
def fixture_copy(fixture_file, tmp_path):
    path = tmp_path / "known.duckdb"
    path.write_bytes(fixture_file.read_bytes())
    return path


@pytest.fixture
def con(fixture_copy):
    con = connect(fixture_copy)
    yield con
    con.close()
