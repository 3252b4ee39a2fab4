"""A notebook's own workspace: a freshly seeded DuckDB file outside the repo.

Every phase notebook starts here, so it runs the same on a fresh machine, never touches the
repo or another notebook's data, and can be re-run top to bottom at any time.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..config import Settings


def _seed(path: Path) -> None:
    from ..store.db import connect
    from ..store.seed import seed

    con = connect(path)
    try:
        seed(con)
    finally:
        con.close()


async def fresh_settings(phase: str, **changes) -> Settings:
    """Settings for one notebook: a new seeded database in a temporary folder, recorded
    calls replayed at 3x over loopback (so a notebook runs in about a minute); ``changes``
    override any setting. Seeding runs off the event loop (it takes a second or two).

    The folder goes when the kernel exits (about 12 MB each: a course's worth of re-runs
    would otherwise pile up). A killed kernel runs no exit handler, so its folder is named
    with its process id and the next notebook to start removes it once that process is gone."""
    await asyncio.to_thread(sweep_stale)
    folder = Path(tempfile.mkdtemp(prefix=f"callkit-{phase}-{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings = Settings.from_env().replace(db_path=folder / "callkit.duckdb", ice="loopback",
                                           replay_speed=3.0, **changes)
    settings.validate()
    await asyncio.to_thread(_seed, settings.db_path)
    return settings


def sweep_stale(root: Path | None = None, max_age_s: float = 86400) -> None:
    """Remove the workspaces of processes that are gone (and unnamed ones older than a day)."""
    for folder in Path(root or tempfile.gettempdir()).glob("callkit-[0-9][0-9]-*"):
        owner = folder.name.split("-")[2]
        try:
            if owner.isdigit():
                if _alive(int(owner)):
                    continue
            elif time.time() - folder.stat().st_mtime <= max_age_s:
                continue
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def shared_speech() -> Path | None:
    """Real read speech with reference text, if the course data sits beside the repo."""
    from .launch import find_repo_root

    try:
        folder = find_repo_root().parent / "shared" / "data" / "speech"
    except FileNotFoundError:
        return None
    return folder if folder.is_dir() else None
