"""Where the analytics widgets read from: a connection and a thread of their own."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..store.db import Database


def open_reader(source: Any) -> Database:
    """A database of the widget's own to read ``source`` with: a CallCenter (read while its
    calls are written), a Database, or the path of a DuckDB file. The widget closes it."""
    db = getattr(source, "db", source)
    if isinstance(db, Database):
        return db.reader()
    if isinstance(source, (str, Path)):
        return Database(source)
    raise TypeError(f"read calls from a CallCenter, a Database or a file path, not "
                    f"{type(source).__name__}")


def running_loop(widget: str) -> asyncio.AbstractEventLoop:
    """The kernel's loop, where the widget's work is scheduled. Comm messages may arrive on
    another thread (ipykernel 7 subshells), so the widgets hand them over to this loop."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(f"{widget} needs a running asyncio loop: create it in a notebook "
                           "cell") from None


async def close_after(tasks: Iterable[asyncio.Task | None], db: Database) -> None:
    """Stop ``tasks``, then close ``db`` off the event loop (a query may still be running)."""
    tasks = [task for task in tasks if task is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.to_thread(db.close)


class ReaderWidget:
    """What the analytics widgets share: a reading connection of their own (``_db``) on the
    kernel's loop (``_loop``), released with the widget, after the tasks that use it."""

    _closing: concurrent.futures.Future | None = None

    def _release(self, tasks: Iterable[asyncio.Task | None]) -> None:
        # No _db: __init__ stopped before opening one (this runs from __del__ too).
        if getattr(self, "_db", None) is not None and self._closing is None:
            if self._loop.is_closed():
                self._db.close()
            else:
                self._closing = asyncio.run_coroutine_threadsafe(close_after(tasks, self._db),
                                                                 self._loop)

    async def aclose(self) -> None:
        """close(), then wait until the connection is closed."""
        self.close()
        await asyncio.wrap_future(self._closing)
