"""A notebook's workspace: its own seeded database, and no pile of them left behind."""

import os
import subprocess
import sys

from callkit.lab.workspace import fresh_settings, sweep_stale


def test_workspaces_of_processes_that_are_gone_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = tmp_path / f"callkit-02-{gone}-abc"
    mine = tmp_path / f"callkit-02-{os.getpid()}-def"
    legacy = tmp_path / "callkit-03-x1y2z3"  # an older name, recent: kept a day
    for folder in (dead, mine, legacy):
        folder.mkdir()
        (folder / "callkit.duckdb").write_bytes(b"x")
    sweep_stale(tmp_path)
    assert not dead.exists() and mine.exists() and legacy.exists()
    old = 0
    os.utime(legacy, (old, old))
    sweep_stale(tmp_path)
    assert not legacy.exists()


async def test_a_fresh_workspace_is_seeded_and_named_for_its_process():
    settings = await fresh_settings("00")
    folder = settings.db_path.parent
    assert folder.name.startswith(f"callkit-00-{os.getpid()}-")
    assert settings.db_path.stat().st_size > 100_000
