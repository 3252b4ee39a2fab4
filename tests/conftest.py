import asyncio
import datetime as dt
import os
import threading
from pathlib import Path

import pytest
import pytest_asyncio

from callkit.config import Settings

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


@pytest.fixture
def settings(seeded_db_file, tmp_path):
    """Settings for a replayed call on a copy of the seeded database."""
    db = tmp_path / "calls.duckdb"
    db.write_bytes(seeded_db_file.read_bytes())
    return Settings(db_path=db, ice="loopback", replay_speed=3.0, token_delay_s=0.0)


@pytest_asyncio.fixture
async def no_leaks():
    """Fail if a test leaves tasks, call threads or peer connections behind."""
    before = {t.ident for t in threading.enumerate()}
    yield
    # A library's async generators left to the garbage collector (the OpenAI SDK's inner
    # SSE readers, once their response is closed) are closed by the loop in tasks of its
    # own, which end within a few turns of the loop.
    for _ in range(10):
        leftover_tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()
                          and not t.done()]
        if not leftover_tasks:
            break
        await asyncio.sleep(0)
    assert leftover_tasks == [], leftover_tasks
    # Allowed: the whisper pool (shared by the process on purpose), the event loop's default
    # executor (aiortc encodes and decodes there; the loop joins it when it closes), tqdm's
    # process-wide monitor, and asyncio's reaper of the Playwright driver process (it ends
    # just after the driver does). Anything else a call started must be gone.
    shared = ("callkit-stt", "asyncio_", "tqdm_monitor", "asyncio-waitpid")
    threads = [t for t in threading.enumerate() if t.ident not in before
               and not t.name.startswith(shared) and t.is_alive()]
    assert threads == [], threads
