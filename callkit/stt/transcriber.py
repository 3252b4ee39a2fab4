"""The speech-to-text stage: AudioChunk in; speech marks, partials and finals out.

Each leg has its own endpointer and its own worker task, so one speaker's transcription never
reorders another's. Finals are always queued; a partial is only queued when the leg's worker
and the shared recognizer are idle, so a backlog thins partials first and never drops a final.

Partials re-decode only what is not yet committed: when a partial decode returns several
segments, the ones that ended well before the newest audio are committed (their text and word
times are kept) and later decodes start after them, so a partial's cost does not grow with
the length of the turn. The final decodes the uncommitted rest of the turn.

The final is decoded ahead: once the speaker has been quiet for the tail a turn keeps
(``TAIL_S``), the audio a turn ending now would hold is exactly known, so it is decoded while
the endpointer waits out the rest of the silence (only when the recognizer is idle: it is a
guess, and under load it would delay other legs' finals). If the silence lasts, the final is
published the moment the turn ends, from that decode; if the speaker goes on, the decode was
of the turn so far and is published as a partial, so the work is not lost.

Finals (and decodes ahead) go first: the recognizer shared by every leg runs them before any
partial (priority_pool.py), and reads partials with a shorter window (whisper.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..events import (AudioChunk, Event, LatencyMark, Leg, LegEnded, SpeechEnded,
                      SpeechStarted, TranscriptFinal, TranscriptPartial, Word)
from .arrivals import Arrivals
from .guards import within_speech
from .endpointing import RATE, TAIL_S, Endpointer, SpeechStart, Utterance
from .vad import StreamingVad
from .protocol import Recognized, Recognizer

log = logging.getLogger(__name__)

COMMIT_MARGIN_S = 1.0   # a segment ending this long before the newest audio is settled
# No partial once the speaker has been quiet this long: it would show no new words, and the
# final, which is likely to follow, would have to wait for it on the shared recognizer.
PARTIAL_QUIET_S = 0.25


@dataclass(frozen=True)
class _PartialJob:
    turn: int
    start: float
    audio: np.ndarray


@dataclass(frozen=True)
class _FinalJob:
    turn: int
    utterance: Utterance


@dataclass(frozen=True)
class _AheadJob:
    """The final of a turn that may be about to end, decoded ahead (see the module's doc)."""
    turn: int
    utterance: Utterance


@dataclass(frozen=True)
class _Ahead:
    turn: int
    start: float
    samples: int
    segments: list[Recognized]

    def fits(self, turn: int, utterance: Utterance) -> bool:
        return (turn, utterance.start, len(utterance.audio)) == (self.turn, self.start,
                                                                 self.samples)


class _Turn:
    """What has been committed of the turn being decoded."""

    def __init__(self, number: int, start: float, margin_s: float):
        self.number = number
        self.margin_s = margin_s
        self.committed: list[Recognized] = []
        self.committed_until = start
        self.partial_sent = False

    def commit(self, segments: list[Recognized], audio_end: float) -> list[Recognized]:
        """Keep settled segments; return the ones still open."""
        settled = [s for s in segments[:-1] if s.end <= audio_end - self.margin_s]
        if settled:
            self.committed += settled
            self.committed_until = settled[-1].end
        return segments[len(settled):]

    def text(self, rest: list[Recognized]) -> str:
        return " ".join(s.text for s in self.committed + rest).strip()


class _LegStream:
    def __init__(self, stage: "Transcriber", leg: Leg):
        self.stage = stage
        self.leg = leg
        self.endpointer = stage.make_endpointer()
        self.jobs: asyncio.Queue[_PartialJob | _FinalJob | _AheadJob] = asyncio.Queue()
        self.turn_number = 0
        self.decoding: _Turn | None = None
        self.ahead_of: tuple[int, float] | None = None  # (turn, voiced_until) decoded ahead
        self.ahead: _Ahead | None = None
        self.next_partial_t = 0.0
        self.arrivals = Arrivals()
        self.task = asyncio.create_task(self._work(), name=f"stt:{stage.call_id}:{leg}")

    def _publish(self, event: Event) -> None:
        self.stage.publish(event)

    def _mark(self, name: str, turn: int, wall: float | None = None) -> None:
        self._publish(LatencyMark(call_id=self.stage.call_id, leg=self.leg, turn=turn, name=name,
                                  wall=time.time() if wall is None else wall))

    def feed(self, chunk: AudioChunk) -> None:
        end_t = chunk.t + len(chunk.samples) / RATE
        self.arrivals.add(end_t, chunk.wall)
        for item in self.endpointer.feed(chunk.samples, chunk.t):
            if isinstance(item, SpeechStart):
                self.turn_number += 1
                self.next_partial_t = item.t + self.stage.settings.partial_interval_s
                self._publish(SpeechStarted(call_id=self.stage.call_id, leg=self.leg,
                                            turn=self.turn_number, t=item.t))
                self._mark("speech_start", self.turn_number, self.arrivals.at(item.t))
            else:
                self._final(item)
        if (self.endpointer.speaking and self.endpointer.trailing_silence_s >= TAIL_S
                and self.stage.settings.stt_decode_ahead):
            self._decode_ahead()
        elif (self.endpointer.speaking and end_t >= self.next_partial_t
                and self.endpointer.trailing_silence_s < PARTIAL_QUIET_S
                and self.jobs.empty() and not self.stage.recognizer.busy):
            start, audio = self.endpointer.current_audio()
            self.jobs.put_nowait(_PartialJob(self.turn_number, start, audio))
            self.next_partial_t = end_t + self.stage.settings.partial_interval_s

    def _decode_ahead(self) -> None:
        key = (self.turn_number, self.endpointer.voiced_until)
        if key == self.ahead_of:
            return  # this pause is being decoded already
        if not self.jobs.empty() or self.stage.recognizer.busy:
            return  # a guess is worth only spare time: under load the final waits its turn
        self.ahead_of = key
        utterance = self.endpointer.pending()
        if utterance is not None:
            self.jobs.put_nowait(_AheadJob(self.turn_number, utterance))

    def _final(self, utterance: Utterance) -> None:
        self._publish(SpeechEnded(call_id=self.stage.call_id, leg=self.leg,
                                  turn=self.turn_number, t=utterance.speech_end))
        if utterance.split:  # the speaker goes on: time the final from the cut, not a stop
            self._mark("split", self.turn_number)
        else:
            self._mark("speech_end", self.turn_number, self.arrivals.at(utterance.speech_end))
        self.jobs.put_nowait(_FinalJob(self.turn_number, utterance))

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

    def _partial(self, turn: _Turn, start: float, audio: np.ndarray,
                 segments: list[Recognized]) -> None:
        rest = turn.commit(segments, start + len(audio) / RATE)
        text = turn.text(rest)
        if not text:
            return
        self._publish(TranscriptPartial(
            call_id=self.stage.call_id, leg=self.leg, turn=turn.number, text=text,
            start=start, end=start + len(audio) / RATE))
        if not turn.partial_sent:
            turn.partial_sent = True
            self._mark("first_partial", turn.number)

    def _turn(self, number: int, start: float) -> _Turn:
        if self.decoding is None or self.decoding.number != number:
            self.decoding = _Turn(number, start, self.stage.commit_margin_s)
        return self.decoding

    async def _decode(self, turn: _Turn, start: float, audio: np.ndarray,
                      final: bool) -> list[Recognized]:
        skip = max(0, round((turn.committed_until - start) * RATE))
        return await self.stage.recognizer.transcribe_async(
            audio[skip:], start + skip / RATE, self.stage.settings.stt_prompt, final=final)

    async def _run(self, job: _PartialJob | _FinalJob | _AheadJob) -> None:
        if isinstance(job, _PartialJob):
            turn = self._turn(job.turn, job.start)
            segments = await self._decode(turn, job.start, job.audio, final=False)
            self._partial(turn, job.start, job.audio, segments)
            return
        utt = job.utterance
        turn = self._turn(job.turn, utt.start)
        if isinstance(job, _AheadJob):
            segments = await self._decode(turn, utt.start, utt.audio, final=True)
            if (self.turn_number == job.turn and self.endpointer.speaking
                    and self.endpointer.trailing_silence_s < TAIL_S):
                self._partial(turn, utt.start, utt.audio, segments)  # the speaker went on
            else:
                self.ahead = _Ahead(job.turn, utt.start, len(utt.audio), segments)
            return
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead.fits(job.turn, utt):
            segments = ahead.segments
        else:
            segments = await self._decode(turn, utt.start, utt.audio, final=True)
        rest = within_speech(segments, utt.speech_end)
        segments = turn.committed + rest
        self.decoding = None
        text = turn.text(rest)
        if not text:
            return
        words = tuple(w for seg in segments for w in seg.words)
        self._publish(_final_event(self.stage.call_id, self.leg, job.turn, text, words, utt))
        self._mark("final", job.turn)


def _final_event(call_id: str, leg: Leg, turn: int, text: str, words: tuple[Word, ...],
                 utt: Utterance) -> TranscriptFinal:
    confidence = float(np.mean([w.probability for w in words])) if words else 0.0
    return TranscriptFinal(
        call_id=call_id, leg=leg, turn=turn, text=text,
        start=words[0].start if words else utt.start, end=words[-1].end if words else utt.end,
        words=words, confidence=round(confidence, 3))


class Transcriber:
    """One per call. Owns a stream (endpointer + worker task) per leg."""

    leg_stream: Callable[["Transcriber", Leg], _LegStream] = _LegStream

    def __init__(self, call_id: str, settings: Settings, recognizer: Recognizer,
                 publish: Callable[[Event], None],
                 make_vad: Callable[[], Callable[[np.ndarray], list[float]]] = StreamingVad,
                 end_of_turn: Callable[[Sequence[float]], bool] | None = None,
                 commit_margin_s: float = COMMIT_MARGIN_S):
        self.make_vad = make_vad
        # math.inf commits nothing: every partial re-decodes the whole turn so far (the design
        # `callkit bench designs` compares this one with).
        self.commit_margin_s = commit_margin_s
        self.end_of_turn = end_of_turn  # see callkit/extensions.py
        self.call_id = call_id
        self.settings = settings
        self.recognizer = recognizer
        self.publish = publish
        self._legs: dict[Leg, _LegStream] = {}

    def make_endpointer(self) -> Endpointer:
        """A leg's endpointer, as the settings and the call's extensions ask."""
        s = self.settings
        return Endpointer(silence_s=s.endpoint_silence_s, max_utterance_s=s.max_utterance_s,
                          threshold=s.vad_threshold, vad=self.make_vad(),
                          end_of_turn=self.end_of_turn)

    async def handle(self, event: Event) -> None:
        if isinstance(event, AudioChunk):
            stream = self._legs.get(event.leg)
            if stream is None:
                stream = self._legs[event.leg] = self.leg_stream(self, event.leg)
            stream.feed(event)
        elif isinstance(event, LegEnded) and event.leg in self._legs:
            await self._legs[event.leg].flush()

    async def close(self) -> None:
        tasks = [s.task for s in self._legs.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._legs.clear()
