"""Shared resources of every call in one process, and the calls themselves."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path

from .bus import Handler
from .call import Call, caller_digits
from .config import Settings
from .extensions import Extensions
from .recordings import RecordedCall, load_recording
from .recovery import recover_orphaned_calls
from .shutdown import close_at_exit, closed
from .store.db import Database
from .stt.engines import shared_recognizer
from .stt.protocol import Recognizer


KEEP_ENDED = 20  # ended calls kept in memory for late readers
_centers: "weakref.WeakSet[CallCenter]" = weakref.WeakSet()  # those of this process


class CallCenter:
    """Shared resources of every call in this process: the database and the whisper model."""

    def __init__(self, settings: Settings | None = None, *,
                 recognizer: Recognizer | None = None, db: Database | None = None,
                 extensions: Extensions | None = None):
        self.settings = settings or Settings.from_env()
        # Your code in every call of this center: tools, rules, end of turn, action items.
        self.extensions = extensions or Extensions()
        self.db = db or Database(self.settings.db_path)
        self._owns_db = db is None
        if self._owns_db:
            # Calls a program left open when it died are ended as abandoned, with a summary
            # of what was stored (recovery.py); those another center here runs are live.
            recover_orphaned_calls(self.db, self.extensions, live=frozenset(
                call_id for center in _centers for call_id, call in center.calls.items()
                if call.status != "ended"))
        _centers.add(self)
        self.recognizer = recognizer or shared_recognizer(self.settings)
        self.calls: dict[str, Call] = {}
        self.loop: asyncio.AbstractEventLoop | None = None  # where the calls live

    def new_call(self, *, title: str = "") -> Call:
        if self.loop is None:
            # Calls own tasks and peer connections on this loop; if the process exits with
            # one still open (a kernel shut down mid-call), it is closed there (shutdown.py).
            self.loop = asyncio.get_running_loop()
            close_at_exit(self)
        call = Call(self, title=title)
        self._forget_old_calls()
        self.calls[call.call_id] = call
        return call

    def _forget_old_calls(self) -> None:
        """Keep the last KEEP_ENDED ended calls (a late page or SSE reader may still ask for
        one; everything else of theirs is in the database): a center that runs for days
        must not hold every call it ever had."""
        ended = [cid for cid, c in self.calls.items() if c.status == "ended"]
        for call_id in ended[:max(0, len(ended) - KEEP_ENDED)]:
            del self.calls[call_id]

    def start_call(self, *, title: str = "", caller: str | None = None) -> Call:
        """A new live call, started: legs join it with ``call.answer`` or ``call.play``.
        ``caller`` is the caller ID (a phone number), looked up before anyone speaks."""
        if caller is not None:
            caller_digits(caller)  # refused before a call exists
        call = self.new_call(title=title)
        call.start(caller=caller)
        return call

    def get(self, call_id: str) -> Call:
        try:
            return self.calls[call_id]
        except KeyError:
            raise LookupError(f"no call {call_id!r}") from None

    async def replay(self, recording: RecordedCall | str | Path, *, speed: float | None = None,
                     observer: Handler | None = None) -> Call:
        """Run one recorded call end to end and return it (ended, stored)."""
        if not isinstance(recording, RecordedCall):
            recording = load_recording(recording)
        call = self.new_call(title=recording.title)
        if observer is not None:
            call.subscribe(observer, name="observer")
        call.start()
        try:
            await call.replay(recording, speed=speed)
        except BaseException:
            # Keep what was heard: flush and store the call as abandoned, then re-raise.
            await asyncio.shield(call.end(status="abandoned"))
            raise
        await call.end()
        return call

    async def aclose(self, *, within: float | None = None) -> None:
        """End the calls still live as abandoned (what was said so far is transcribed and
        stored, with a summary), then release every call, the database and this center.

        ``within`` (seconds) shares a hard budget (a process exiting) between the flush and
        the summary, so the call is still stored as abandoned when the last words take
        longer than that to transcribe."""
        live = [c for c in self.calls.values() if c.status == "active"]
        step = within * 0.35 if within else None
        # end() and close() are bounded themselves; one call's failure does not stop the rest.
        await asyncio.gather(*(c.end(status="abandoned", step_timeout=step) for c in live),
                             return_exceptions=True)
        await asyncio.gather(*(c.close() for c in list(self.calls.values())),
                             return_exceptions=True)
        self.calls.clear()
        if self._owns_db:
            self.db.close()
        closed(self)

    async def __aenter__(self) -> "CallCenter":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
