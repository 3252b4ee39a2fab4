"""Fixed batching, the seed's "transcription batching": the design `callkit bench designs`
measures the kit's streaming path against.

Audio is cut every ``batch_s`` seconds, whatever is being said, and each batch is decoded once
as final text. There are no partials: text appears when the batch holding it is decoded.

Latency is counted the way the streaming stage counts it, so the two compare: the same VAD
finds each turn's speech start and end, and a turn's ``final`` (or ``first_partial``) mark is
when the first batch reaching past its speech end (or start) was published.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import Settings
from ..events import AudioChunk, Event, LatencyMark, Leg, TranscriptFinal
from ..stt.arrivals import Arrivals
from ..stt.endpointing import RATE, SpeechStart, Utterance
from ..stt.protocol import Recognizer
from ..stt.transcriber import Transcriber

log = logging.getLogger(__name__)


class _Leg:
    def __init__(self, stage: "FixedBatchTranscriber", leg: Leg):
        self.stage, self.leg = stage, leg
        self.endpointer = stage.make_endpointer()
        self.arrivals = Arrivals()
        self.pending: list[np.ndarray] = []
        self.batch_start = 0.0
        self.batches = 0
        self.published: list[tuple[float, float]] = []  # (call time a batch reached, wall)
        self.waiting: list[tuple[int, str, float]] = []  # (turn, mark, call time it needs)
        self.turn = 0
        self.jobs: asyncio.Queue[tuple[int, float, np.ndarray]] = asyncio.Queue()
        self.task = asyncio.create_task(self._work(), name=f"batch:{stage.call_id}:{leg}")

    def _mark(self, name: str, turn: int, wall: float) -> None:
        self.stage.publish(LatencyMark(call_id=self.stage.call_id, leg=self.leg, turn=turn,
                                       name=name, wall=wall))

    def feed(self, chunk: AudioChunk) -> None:
        if not self.pending:
            self.batch_start = chunk.t
        self.pending.append(chunk.samples)
        end_t = chunk.t + len(chunk.samples) / RATE
        self.arrivals.add(end_t, chunk.wall)
        for item in self.endpointer.feed(chunk.samples, chunk.t):
            if isinstance(item, SpeechStart):
                self.turn += 1
                self._mark("speech_start", self.turn, self.arrivals.at(item.t))
                self.waiting.append((self.turn, "first_partial", item.t))
            else:
                self._ended(item)
        self._settle()
        if end_t - self.batch_start >= self.stage.batch_s:
            self._cut()

    def _ended(self, turn: Utterance) -> None:
        self._mark("speech_end", self.turn, self.arrivals.at(turn.speech_end))
        self.waiting.append((self.turn, "final", turn.speech_end))

    def _cut(self) -> None:
        if self.pending:
            self.batches += 1
            self.jobs.put_nowait((self.batches, self.batch_start, np.concatenate(self.pending)))
            self.pending = []

    def _settle(self) -> None:
        """Mark each turn moment that a published batch has reached."""
        still = []
        for turn, name, t in self.waiting:
            wall = next((w for reached, w in self.published if reached >= t), None)
            if wall is None:
                still.append((turn, name, t))
            else:
                self._mark(name, turn, wall)
        self.waiting = still

    async def flush(self) -> None:
        for item in self.endpointer.flush():
            self._ended(item)
        self._cut()
        await self.jobs.join()

    async def _work(self) -> None:
        while True:
            number, start, audio = await self.jobs.get()
            try:
                await self._decode(number, start, audio)
            except Exception:
                log.exception("batch %d of leg %s failed", number, self.leg)
            finally:
                self.jobs.task_done()

    async def _decode(self, number: int, start: float, audio: np.ndarray) -> None:
        segments = await self.stage.recognizer.transcribe_async(
            audio, start, self.stage.settings.stt_prompt, final=True)
        end = start + len(audio) / RATE
        text = " ".join(s.text for s in segments).strip()
        if text:
            words = tuple(w for s in segments for w in s.words)
            self.stage.publish(TranscriptFinal(
                call_id=self.stage.call_id, leg=self.leg, turn=number, text=text, start=start,
                end=end, words=words, confidence=0.0))
        self.published.append((end, time.time()))
        self._settle()

class FixedBatchTranscriber(Transcriber):
    """The call's STT stage (``handle``, ``close``), built the batching way."""

    leg_stream = _Leg

    def __init__(self, call_id: str, settings: Settings, recognizer: Recognizer,
                 publish: Callable[[Event], None], batch_s: float = 4.0, **stage_options: Any):
        if batch_s <= 0:
            raise ValueError("batch_s must be positive")
        super().__init__(call_id, settings, recognizer, publish, **stage_options)
        self.batch_s = batch_s
