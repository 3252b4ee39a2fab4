"""The only place stages are wired together: a call's bus, its stages, and its legs."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamTrack

from .agent_controls import AgentControls
from .assistant.redact import redact
from .assistant.stage import Assistant
from .bus import Bus, Handler
from .call_legs import CallClosed, LiveLegs
from .deadline import settle_within
from .events import (AgentAction, AudioChunk, CallEnded, CallerID, CallStarted,
                     CustomerPicked, Event, Leg,
                     LegConnected, LegEnded, LegMuted, MomentFlagged,
                     SuggestionFeedback, TranscriptFinal, TranscriptPartial)
from .journal import Journal
from .memory import give_back_freed_memory
from .recordings import RecordedCall, load_recording
from .rtc.capture import RATE as capture_rate, LegCapture
from .rtc.peer import ReceivingPeer, connect_loopback
from .rtc.relay import EarTrack
from .rtc.sources import RecordedTrack, read_audio
from .stt.transcriber import Transcriber
from .store.recorder import RECORDED, Recorder, verbatim

if TYPE_CHECKING:
    from .center import CallCenter

CLOSE_STEP_TIMEOUT_S = 5.0  # each clean-up step of close(); they only cancel and release


def other(leg: Leg) -> Leg:
    return "agent" if leg == "customer" else "customer"


def caller_digits(number: str) -> str:
    """The digits of a caller ID; refuses what cannot be a phone number."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if not 7 <= len(digits) <= 15:
        raise ValueError(f"{number!r} is not a phone number (7 to 15 digits)")
    return digits


class Call(AgentControls, LiveLegs):
    """One conversation. Stages subscribe to its bus; legs publish audio onto it. What the
    agent does besides talking (feedback, quick actions, flags) is in agent_controls.py;
    connecting, dropping and leaving legs is in call_legs.py."""

    def __init__(self, center: "CallCenter", *, title: str = "", call_id: str | None = None):
        self.center = center
        self.settings = center.settings
        self.call_id = call_id or str(uuid.uuid4())
        self.title = title
        self.bus = Bus()
        self.status = "new"
        self._captures: dict[Leg, LegCapture] = {}
        self._leg_peers: dict[Leg, ReceivingPeer] = {}
        # What each leg's current connection hears: the other leg, relayed (rtc/relay.py).
        self._ears: dict[Leg, EarTrack] = {}
        self.caller: str | None = None  # the caller ID, when the caller gave one
        self._dropped: set[Leg] = set()
        self._peers: list = []
        self._tasks: set[asyncio.Task] = set()
        self._started_at = time.monotonic()
        # Steps of ending that ran out of time and were cut off ("flush", "summary", ...).
        self.unfinished: list[str] = []
        extensions = center.extensions
        self.transcriber = Transcriber(self.call_id, center.settings, center.recognizer,
                                       self.bus.publish, end_of_turn=extensions.end_of_turn)
        self.assistant = Assistant(self.call_id, center.settings, center.db.run,
                                   self.bus.publish, extensions=extensions)
        self._stt = self.bus.subscribe(self.transcriber.handle, AudioChunk, LegEnded,
                                       name="stt")
        self.bus.subscribe(self.assistant.handle, TranscriptFinal, TranscriptPartial,
                           CallerID, SuggestionFeedback, AgentAction, CustomerPicked,
                           MomentFlagged, CallEnded, name="assistant")
        # Stored text is redacted unless configured otherwise; the live views are not.
        scrub = verbatim if center.settings.store_verbatim else redact
        self.bus.subscribe(Recorder(center.db, scrub).handle, *RECORDED, name="recorder")
        # What a client that joins late or reconnects reads to catch up (SSE, pages).
        self.journal = Journal()
        self.bus.subscribe(self.journal, name="journal")

    def subscribe(self, handler: Handler, *kinds: type[Event], name: str | None = None):
        """Follow the call's events (a UI, a console view, a test); returns the subscription."""
        return self.bus.subscribe(handler, *kinds, name=name)

    def start(self, *, caller: str | None = None) -> None:
        self.status = "active"
        self._started_at = time.monotonic()
        self.bus.publish(CallStarted(call_id=self.call_id,
                                     agent_name=self.center.settings.agent_name,
                                     title=self.title))
        if caller:
            self.caller_id(caller)

    def caller_id(self, number: str) -> None:
        """The caller's number (caller ID): the assistant looks it up at once, so the agent
        sees who is calling before anyone speaks. Given once; a second number is refused."""
        digits = caller_digits(number)
        if self.caller is not None:
            if self.caller != digits:
                raise ValueError(f"this call's caller ID is already {self.caller}")
            return
        self.caller = digits
        self.bus.publish(CallerID(call_id=self.call_id, number=str(number).strip()))

    def clock(self) -> float:
        """Seconds since the call started: the time base of live legs."""
        return time.monotonic() - self._started_at

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def attach(self, leg: Leg, track: MediaStreamTrack, *, offset_s: float = 0.0) -> LegCapture:
        """Start reading a received track as ``leg``."""
        if leg in self._captures:
            raise ValueError(f"leg {leg!r} is already attached")
        capture = LegCapture(self.call_id, leg, track, self.bus.publish, offset_s=offset_s,
                             ear=lambda: self._ears.get(other(leg)))
        self._captures[leg] = capture
        self._dropped.discard(leg)
        self.bus.publish(LegConnected(call_id=self.call_id, leg=leg))
        return capture

    def set_muted(self, leg: Leg, muted: bool) -> None:
        """While muted, the leg's audio does not reach the pipeline (silence does)."""
        capture = self._captures.get(leg)
        if capture is None:
            raise ValueError(f"no {leg} leg on this call")
        capture.muted = muted
        self.bus.publish(LegMuted(call_id=self.call_id, leg=leg, muted=muted))

    async def play(self, leg: Leg, audio: str | Path, *, speed: float = 1.0,
                   offset_s: float | None = None) -> RecordedTrack:
        """Play an audio file as ``leg`` through real peers over loopback (a recorded
        customer in a live call, or one leg of a replay); returns the playing track."""
        if self.status != "active":
            raise CallClosed(f"call {self.call_id} is {self.status}")
        if leg in self._captures:
            raise ValueError(f"the {leg} leg is already on this call")
        samples = await asyncio.to_thread(read_audio, audio)  # a decode blocks for a while
        track = RecordedTrack(samples, speed=speed)
        sender, receiver = await connect_loopback(track)
        try:
            received = await receiver.track()
            if self.status != "active" or leg in self._captures:  # changed while connecting
                raise CallClosed(f"the {leg} leg of call {self.call_id} is taken or over")
            self.attach(leg, received, offset_s=self.clock() if offset_s is None else offset_s)
        except BaseException:
            track.stop()
            await asyncio.gather(sender.close(), receiver.close(), return_exceptions=True)
            raise
        self._peers += [sender, receiver]
        return track

    async def replay(self, recording: RecordedCall | str | Path, *, speed: float | None = None) -> None:
        """Play a recorded call, every leg from its start, and wait until all was heard.

        Times are the recording's own (offset 0), so they match its script at any speed."""
        if not isinstance(recording, RecordedCall):
            recording = load_recording(recording)
        speed = speed or self.center.settings.replay_speed
        tracks = [await self.play(leg, path, speed=speed, offset_s=0.0)
                  for leg, path in recording.legs.items()]
        # A sender that stops pulling frames would leave a track unfinished forever.
        longest = max((t.duration_s for t in tracks), default=0.0) / speed
        await settle_within(asyncio.gather(*(t.finished.wait() for t in tracks)),
                            longest + 30.0, f"replaying {recording.id} into call {self.call_id}")
        await asyncio.gather(*(c.wait_idle() for c in list(self._captures.values())))

    def heard_s(self, leg: Leg) -> float:
        """Seconds of audio received on ``leg``'s current connection (0 if none)."""
        capture = self._captures.get(leg)
        return capture.samples_received / capture_rate if capture else 0.0

    @property
    def duration_s(self) -> float:
        return max((c.t for c in self._captures.values()), default=0.0)

    @property
    def legs(self) -> dict[Leg, str]:
        """Each leg's state: connected, dropped, or muted."""
        return {leg: "dropped" if leg in self._dropped else "muted" if c.muted else "connected"
                for leg, c in self._captures.items()}

    async def end(self, status: str = "completed", *, reason: str = "",
                  step_timeout: float | None = None) -> None:
        """Flush every stage, publish CallEnded, wait for the summary, then close everything.

        Always returns: the flush and the summary each get ``step_timeout`` (default
        ``end_timeout_s``); a step cut off is logged and named in :attr:`unfinished` (and in
        the CallEnded event)."""
        if self.status in ("ending", "ended"):
            return
        self.status = "ending"
        limit = step_timeout or self.settings.end_timeout_s
        try:
            captures = list(self._captures.items())  # a leg may connect meanwhile
            await asyncio.gather(*(c.stop() for _, c in captures))  # each bounded
            for leg, _ in captures:
                self.bus.publish(LegEnded(call_id=self.call_id, leg=leg))
            if not await settle_within(self.bus.drain(), limit,
                                       f"flushing the last words of call {self.call_id}"):
                self.unfinished.append("flush")
                await settle_within(self._give_up_transcribing(), CLOSE_STEP_TIMEOUT_S,
                                    f"stopping the transcription of call {self.call_id}")
            self.bus.publish(CallEnded(call_id=self.call_id, status=status,
                                       duration_s=round(self.duration_s, 2),
                                       unfinished=tuple(self.unfinished), reason=reason))
            if not await settle_within(self.bus.drain(), limit,
                                       f"the summary of call {self.call_id}"):
                self.unfinished.append("summary")
        finally:
            await self.close()

    async def _give_up_transcribing(self) -> None:
        """Drop the words still to transcribe (a machine behind on its calls): the summary
        then does not wait on them, and the CPU goes to the calls still live."""
        await self.bus.unsubscribe(self._stt)
        await self.transcriber.close()

    async def close(self) -> None:
        """Release peers, tasks and subscribers (also after a failure). Always returns: every
        step is bounded, and one that fails or runs out of time does not stop the next."""
        self.status = "ended"
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        peers, self._peers = self._peers, []
        self._leg_peers.clear()
        for ear in self._ears.values():
            ear.stop()
        self._ears.clear()
        steps = (("tasks", lambda: asyncio.gather(*tasks, return_exceptions=True)),
                 ("captures", lambda: asyncio.gather(*(c.stop() for c in
                                                       list(self._captures.values())))),
                 ("peers", lambda: asyncio.gather(*(p.close() for p in peers))),
                 ("transcriber", self.transcriber.close),
                 ("bus", self.bus.close),
                 ("assistant", self.assistant.aclose))  # a model client it made, if any
        for name, step in steps:
            if not await settle_within(step(), CLOSE_STEP_TIMEOUT_S,
                                       f"closing the {name} of call {self.call_id}"):
                self.unfinished.append(f"close {name}")
        self.journal.close()
        await give_back_freed_memory()  # what the call's audio and decodes used (memory.py)
