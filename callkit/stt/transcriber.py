"""The speech-to-text stage: AudioChunk in; SpeechStarted/Ended, partials and finals out.

Each leg has its own endpointer and its own worker task, so one speaker's transcription
never reorders another's. Finals are always queued; a partial is only queued when the leg's
worker and the shared recognizer are idle, so a backlog thins partials first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..events import (AudioChunk, Event, Leg, LegEnded, SpeechEnded, SpeechStarted,
                      TranscriptFinal, TranscriptPartial)
from .endpointing import Endpointer, SpeechStart, Utterance
from .whisper import Recognized, WhisperRecognizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _PartialJob:
    turn: int
    start: float
    audio: np.ndarray


@dataclass(frozen=True)
class _FinalJob:
    turn: int
    utterance: Utterance


class _LegStream:
    def __init__(self, stage: "Transcriber", leg: Leg):
        self.stage = stage
        self.leg = leg
        s = stage.settings
        self.endpointer = Endpointer(silence_s=s.endpoint_silence_s,
                                     max_utterance_s=s.max_utterance_s, threshold=s.vad_threshold)
        self.prompt = s.stt_prompt
        self.jobs: asyncio.Queue[_PartialJob | _FinalJob] = asyncio.Queue()
        self.turn = 0
        self.finalized_turn = -1
        self.next_partial_t = 0.0
        self.task = asyncio.create_task(self._work(), name=f"stt:{stage.call_id}:{leg}")

    def feed(self, chunk: AudioChunk) -> None:
        for item in self.endpointer.feed(chunk.samples, chunk.t):
            if isinstance(item, SpeechStart):
                self.turn += 1
                self.next_partial_t = item.t + self.stage.settings.partial_interval_s
                self.stage.publish(SpeechStarted(call_id=self.stage.call_id, leg=self.leg, t=item.t))
            else:
                self._final(item)
        end_t = chunk.t + len(chunk.samples) / 16000
        if (self.endpointer.in_speech and end_t >= self.next_partial_t
                and self.jobs.empty() and not self.stage.recognizer.busy):
            start, audio = self.endpointer.current_audio()
            self.jobs.put_nowait(_PartialJob(self.turn, start, audio))
            self.next_partial_t = end_t + self.stage.settings.partial_interval_s

    def _final(self, utterance: Utterance) -> None:
        self.stage.publish(SpeechEnded(call_id=self.stage.call_id, leg=self.leg,
                                       t=utterance.speech_end))
        self.jobs.put_nowait(_FinalJob(self.turn, utterance))

    async def flush(self) -> None:
        for utterance in self.endpointer.flush():
            self._final(utterance)
        await self.jobs.join()

    async def _work(self) -> None:
        while True:
            job = await self.jobs.get()
            try:
                await self._run(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("transcription failed on leg %s", self.leg)
            finally:
                self.jobs.task_done()

    async def _run(self, job: _PartialJob | _FinalJob) -> None:
        recognizer = self.stage.recognizer
        if isinstance(job, _PartialJob):
            if job.turn <= self.finalized_turn:
                return
            segments = await recognizer.transcribe_async(job.audio, job.start, self.prompt)
            text = _join(segments)
            if text and job.turn > self.finalized_turn:
                self.stage.publish(TranscriptPartial(
                    call_id=self.stage.call_id, leg=self.leg, text=text, start=job.start,
                    end=job.start + len(job.audio) / 16000))
            return
        utt = job.utterance
        segments = await recognizer.transcribe_async(utt.audio, utt.start, self.prompt)
        self.finalized_turn = max(self.finalized_turn, job.turn)
        text = _join(segments)
        if not text:
            return
        words = tuple(w for seg in segments for w in seg.words)
        confidence = float(np.mean([w.probability for w in words])) if words else 0.0
        self.stage.publish(TranscriptFinal(
            call_id=self.stage.call_id, leg=self.leg, text=text,
            start=words[0].start if words else utt.start,
            end=words[-1].end if words else utt.end,
            words=words, confidence=round(confidence, 3)))


def _join(segments: list[Recognized]) -> str:
    return " ".join(s.text for s in segments).strip()


class Transcriber:
    """One per call. Owns a stream (endpointer + worker task) per leg."""

    def __init__(self, call_id: str, settings: Settings, recognizer: WhisperRecognizer,
                 publish: Callable[[Event], None]):
        self.call_id = call_id
        self.settings = settings
        self.recognizer = recognizer
        self.publish = publish
        self._legs: dict[Leg, _LegStream] = {}

    async def handle(self, event: Event) -> None:
        if isinstance(event, AudioChunk):
            stream = self._legs.get(event.leg)
            if stream is None:
                stream = self._legs[event.leg] = _LegStream(self, event.leg)
            stream.feed(event)
        elif isinstance(event, LegEnded) and event.leg in self._legs:
            await self._legs[event.leg].flush()

    async def close(self) -> None:
        tasks = [s.task for s in self._legs.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._legs.clear()
