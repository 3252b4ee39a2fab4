"""Call history in a notebook: ``CallHistory(center)`` lists past calls with filters
(customer, dates, sentiment, status, agent, topic) and a full-text search of what was said,
and opens one to replay its timeline and export it; ``CallReplay(center, call_id)`` is the
replay of one call alone.

DuckDB stays in Python (as in quak): the browser sends a request with an id, the kernel runs
it on the widget's own connection and thread, and answers with the same id. ``close()`` lets
go of the connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import anywidget
import duckdb
import traitlets

from ..assets import asset, esm
from ..widget_requests import REFUSED, integer, request_id, request_kind, text
from .export import export_call
from .history import call_timeline, filter_choices, find_calls
from .reader import ReaderWidget, open_reader, running_loop

log = logging.getLogger(__name__)
TEXT_FILTERS = ("customer", "agent", "status", "sentiment", "topic", "text")
MAX_ROWS = 500


class CallHistory(ReaderWidget, anywidget.AnyWidget):
    _esm = esm("call_history.js")
    _css = asset("call_history.css")

    mode = traitlets.Unicode("history").tag(sync=True)  # or "replay": one call, no list
    call_id = traitlets.Unicode("").tag(sync=True)      # the call to open first

    def __init__(self, source: Any, **kwargs):
        self._loop = running_loop(type(self).__name__)
        self._db = open_reader(source)  # first: a bad source opens no comm
        self._tasks: set[asyncio.Task] = set()
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        # No object address or model id: notebook outputs stay the same run to run (nbval).
        return f"{type(self).__name__}({self.call_id!r})" if self.call_id else "CallHistory()"

    def _on_msg(self, _widget, content: dict, _buffers) -> None:
        # Comm messages may arrive on another thread (ipykernel 7 subshells): hand them over.
        self._loop.call_soon_threadsafe(self._handle, content)

    def _handle(self, content: dict) -> None:
        if self._closing is not None:
            return
        task = self._loop.create_task(self._answer(content), name="call-history")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, content: dict) -> None:
        kind = request = None
        try:
            kind = request_kind(content)
            request = request_id(content)
            if kind == "choices":
                answer = await self._db.run(filter_choices)
            elif kind == "find":
                filters = _filters(content.get("filters") or {})  # (not a dict: TypeError)
                found = await self._db.run(lambda con: find_calls(con, **filters))
                answer = {"rows": json.loads(found.to_json(orient="records",
                                                           date_format="iso"))}
            elif kind == "open":
                answer = {"timeline": await self._db.run(call_timeline,
                                                         text(content, "call_id"))}
            elif kind == "export":
                fmt = text(content, "format")
                call_id = text(content, "call_id")
                exported = await self._db.run(lambda con: export_call(
                    con, call_id, fmt, redacted=content.get("redacted", True) is not False))
                answer = {"text": exported, "filename":
                          f"call-{call_id}.{'md' if fmt == 'markdown' else 'json'}"}
            else:
                raise ValueError(f"unknown request {kind[:40]!r}")
        except (*REFUSED, duckdb.Error) as exc:
            log.warning("call history request %r refused: %s", kind, exc)
            self.send({"kind": "error", "id": request, "message": str(exc)[:300]})
            return
        self.send({"kind": kind, "id": request, **answer})

    def close(self) -> None:
        """Stop answering and close the widget's connection."""
        self._release(list(self._tasks))
        super().close()


class CallReplay(CallHistory):
    """One call's timeline (transcript, suggestions with Use / Dismiss, tool calls, actions,
    flags, summary), played back at a chosen speed, with its export buttons."""

    def __init__(self, source: Any, call_id: str, **kwargs):
        super().__init__(source, mode="replay", call_id=call_id, **kwargs)


def _filters(given: dict) -> dict[str, Any]:
    """The browser's filter values, checked: known names, short texts, ISO dates."""
    if not isinstance(given, dict):
        raise TypeError("'filters' must be an object")
    filters: dict[str, Any] = {}
    for name in TEXT_FILTERS:
        value = text(given, name).strip()
        if value:
            filters[name] = value
    for name in ("since", "until"):
        if given.get(name):
            filters[name] = dt.date.fromisoformat(text(given, name))
    filters["limit"] = max(1, min(integer(given, "limit") if given.get("limit") else 50,
                                  MAX_ROWS))
    return filters
