"""The embedded DuckDB database: opening it, its schema, and running work off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")


def schema_sql() -> str:
    return resources.files(__package__).joinpath("schema.sql").read_text()


class DatabaseInUse(RuntimeError):
    """Another process has the database file open (DuckDB allows one writer process)."""


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database at ``path`` with the schema applied."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        held = re.search(r"Conflicting lock is held in (.*) \(PID (\d+)\)", str(exc))
        if held is None:
            raise
        raise DatabaseInUse(
            f"the database {path} is in use by PID {held.group(2)} ({held.group(1)}): stop "
            "that program (a notebook kernel, callkit serve or demo) or choose another file "
            "with CALLKIT_DB_PATH") from None
    con.execute(schema_sql())
    from .knowledge import upgrade  # knowledge.py needs this module's load_fts
    upgrade(con)
    return con


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD the full-text-search extension shipped by the duckdb-extension-fts wheel.

    There is no network here for ``INSTALL fts``, so the file comes from that package.
    """
    spec = importlib.util.find_spec("duckdb_extension_fts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("duckdb-extension-fts is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    version = duckdb.__version__
    path = root / "extensions" / f"v{version}" / "fts.duckdb_extension"
    if not path.exists():
        raise RuntimeError(f"no fts extension for DuckDB {version} in {root}")
    con.execute(f"LOAD '{_quoted(path.as_posix())}'")  # LOAD takes no parameter


def _quoted(text: str) -> str:
    """``text`` inside a SQL string literal (a path with a quote in it stays a path)."""
    return text.replace("'", "''")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """All the writes in the block, or none of them. Whatever fails, the transaction ends
    here: left open, it would swallow every later write of the connection (the recorder's
    is shared by every call)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already rolled back
            con.execute("ROLLBACK")
        raise


def rows_as_dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


class Database:
    """One DuckDB connection, used from one worker thread so the event loop never waits on it."""

    def __init__(self, path: str | Path, *, _sharing: "Database | None" = None):
        self.path = Path(path) if str(path) != ":memory:" else path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callkit-db")
        opener = (lambda: _sharing.run_sync(lambda con: con.cursor())) if _sharing else (
            lambda: connect(path))
        self._con = self._executor.submit(opener).result()

    def reader(self) -> "Database":
        """Another connection to the same database with a thread of its own, for long reads
        (the dashboard, call history): a second of analytics then never holds up the writes
        of a live call. Close it before this one."""
        return Database(self.path, _sharing=self)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._con, *args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self._executor.submit(fn, self._con, *args).result()

    def close(self) -> None:
        if self._con is None:
            return
        self._executor.submit(self._con.close).result()
        self._con = None
        self._executor.shutdown(wait=True)

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
