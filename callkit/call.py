"""The only place stages are wired together: a call's bus, its stages, and its legs."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from aiortc.mediastreams import MediaStreamTrack

from .assistant.stage import Assistant
from .bus import Bus, Handler
from .config import Settings
from .events import (AudioChunk, CallEnded, CallStarted, Event, Leg, LegConnected, LegEnded,
                     SuggestionFeedback, TranscriptFinal)
from .recordings import RecordedCall, load_recording
from .rtc.capture import LegCapture
from .rtc.peer import connect_loopback
from .rtc.sources import RecordedTrack
from .stt.transcriber import Transcriber
from .stt.whisper import WhisperRecognizer, shared_recognizer
from .store.db import Database
from .store.recorder import RECORDED, Recorder


class Call:
    """One conversation. Stages subscribe to its bus; legs publish audio onto it."""

    def __init__(self, center: "CallCenter", *, title: str = "", call_id: str | None = None):
        self.center = center
        self.call_id = call_id or str(uuid.uuid4())
        self.title = title
        self.bus = Bus()
        self.status = "new"
        self._captures: dict[Leg, LegCapture] = {}
        self._peers: list = []
        self.transcriber = Transcriber(self.call_id, center.settings, center.recognizer,
                                       self.bus.publish)
        self.assistant = Assistant(self.call_id, center.settings, center.db.run,
                                   self.bus.publish)
        self.bus.subscribe(self.transcriber.handle, AudioChunk, LegEnded, name="stt")
        self.bus.subscribe(self.assistant.handle, TranscriptFinal, SuggestionFeedback, CallEnded,
                           name="assistant")
        self.bus.subscribe(Recorder(center.db).handle, *RECORDED, name="recorder")

    def subscribe(self, handler: Handler, *kinds: type[Event], name: str | None = None) -> None:
        """Follow the call's events (a UI, a console view, a test)."""
        self.bus.subscribe(handler, *kinds, name=name)

    def start(self) -> None:
        self.status = "active"
        self.bus.publish(CallStarted(call_id=self.call_id,
                                     agent_name=self.center.settings.agent_name,
                                     title=self.title))

    def attach(self, leg: Leg, track: MediaStreamTrack) -> LegCapture:
        """Start reading a received track as ``leg``."""
        if leg in self._captures:
            raise ValueError(f"leg {leg!r} is already attached")
        capture = LegCapture(self.call_id, leg, track, self.bus.publish)
        self._captures[leg] = capture
        self.bus.publish(LegConnected(call_id=self.call_id, leg=leg))
        return capture

    async def replay(self, recording: RecordedCall | str | Path, *, speed: float | None = None) -> None:
        """Play a recorded call through real peer connections over loopback, to the end."""
        if not isinstance(recording, RecordedCall):
            recording = load_recording(recording)
        speed = speed or self.center.settings.replay_speed
        tracks = {leg: RecordedTrack.from_file(path, speed=speed)
                  for leg, path in recording.legs.items()}
        for leg, track in tracks.items():
            sender, receiver = await connect_loopback(track)
            self._peers += [sender, receiver]
            self.attach(leg, await receiver.track())
        await asyncio.gather(*(t.finished.wait() for t in tracks.values()))
        await asyncio.gather(*(c.wait_idle() for c in self._captures.values()))

    def feedback(self, suggestion_id: str, action: str) -> None:
        """The agent used or dismissed a suggestion."""
        if action not in ("used", "dismissed"):
            raise ValueError("action must be 'used' or 'dismissed'")
        self.bus.publish(SuggestionFeedback(call_id=self.call_id, suggestion_id=suggestion_id,
                                            action=action))

    @property
    def duration_s(self) -> float:
        return max((c.t for c in self._captures.values()), default=0.0)

    async def end(self, status: str = "completed") -> None:
        """Flush every stage, publish CallEnded, wait for the summary, then close everything."""
        if self.status == "ended":
            return
        try:
            for leg, capture in self._captures.items():
                await capture.stop()
                self.bus.publish(LegEnded(call_id=self.call_id, leg=leg))
            await self.bus.drain()
            self.bus.publish(CallEnded(call_id=self.call_id, status=status,
                                       duration_s=round(self.duration_s, 2)))
            await self.bus.drain()
        finally:
            await self.close()

    async def close(self) -> None:
        """Release peers, tasks and subscribers (also after a failure)."""
        self.status = "ended"
        await asyncio.gather(*(c.stop() for c in self._captures.values()),
                             return_exceptions=True)
        await asyncio.gather(*(p.close() for p in self._peers), return_exceptions=True)
        self._peers.clear()
        await self.transcriber.close()
        await self.bus.close()


class CallCenter:
    """Shared resources of every call in this process: the database and the whisper model."""

    def __init__(self, settings: Settings | None = None, *,
                 recognizer: WhisperRecognizer | None = None, db: Database | None = None):
        self.settings = settings or Settings.from_env()
        self.db = db or Database(self.settings.db_path)
        self._owns_db = db is None
        self.recognizer = recognizer or shared_recognizer(self.settings)
        self.calls: dict[str, Call] = {}

    def new_call(self, *, title: str = "") -> Call:
        call = Call(self, title=title)
        self.calls[call.call_id] = call
        return call

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

    async def aclose(self) -> None:
        await asyncio.gather(*(c.close() for c in self.calls.values()), return_exceptions=True)
        self.calls.clear()
        if self._owns_db:
            self.db.close()

    async def __aenter__(self) -> "CallCenter":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
