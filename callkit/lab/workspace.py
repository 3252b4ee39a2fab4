"""A notebook's own workspace: a freshly seeded DuckDB file outside the repo.

Every phase notebook starts here, so it runs the same on a fresh machine, never touches the
repo or another notebook's data, and can be re-run top to bottom at any time.
"""

from __future__ import annotations

import asyncio
import tempfile
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
    override any setting. Seeding runs off the event loop (it takes a second or two)."""
    folder = Path(tempfile.mkdtemp(prefix=f"callkit-{phase}-"))
    settings = Settings.from_env().replace(db_path=folder / "callkit.duckdb", ice="loopback",
                                           replay_speed=3.0, **changes)
    settings.validate()
    await asyncio.to_thread(_seed, settings.db_path)
    return settings


def shared_speech() -> Path | None:
    """Real read speech with reference text, if the course data sits beside the repo."""
    from .launch import find_repo_root

    try:
        folder = find_repo_root().parent / "shared" / "data" / "speech"
    except FileNotFoundError:
        return None
    return folder if folder.is_dir() else None
