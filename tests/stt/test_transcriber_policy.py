"""The transcription stage's commit and backlog policy, with a scripted VAD and a fake
recognizer whose 'words' are the seconds of audio they cover."""

import asyncio

import numpy as np

from callkit.bus import Bus
from callkit.bench.feed import feed_leg
from callkit.config import Settings
from callkit.events import LatencyMark, SpeechEnded, TranscriptFinal, TranscriptPartial, Word
from callkit.stt.transcriber import Transcriber
from callkit.stt.protocol import Recognized
from tests.stt.test_endpointing_synthetic import ScriptedVad, pattern


class ClockRecognizer:
    """Says 'sN' for every second N of audio it hears, in 2-second segments."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.busy = False
        self.decoded: list[tuple[float, float]] = []

    async def transcribe_async(self, audio, offset=0.0, prompt=None, final=True):
        self.busy = True
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.busy = False
        end = offset + len(audio) / 16000
        self.decoded.append((offset, end))
        segments = []
        first = int(np.ceil(offset - 1e-9))
        for seg_start in range(first, int(end), 2):
            words = tuple(Word(f"s{t}", float(t), t + 0.5, 0.9)
                          for t in range(seg_start, min(seg_start + 2, int(end))))
            if words:
                segments.append(Recognized(" ".join(w.text for w in words), words[0].start,
                                           words[-1].end, words, -0.2))
        return segments


async def run(probs, recognizer, speed=8.0, make_stage=Transcriber, **settings):
    bus = Bus()
    events = []
    stt = make_stage("c", Settings(**settings), recognizer, bus.publish,
                     make_vad=lambda: ScriptedVad(probs))
    bus.subscribe(stt.handle)
    bus.subscribe(events.append, TranscriptFinal, TranscriptPartial, LatencyMark)
    samples = np.zeros(len(probs) * 512, dtype=np.float32)
    await feed_leg(bus.publish, "c", "customer", samples, speed)
    await bus.drain()
    await stt.close()
    await bus.close()
    return events


async def test_partials_stop_redecoding_committed_audio():
    probs = pattern((0.5, 0.0), (14.0, 0.9), (1.0, 0.0))
    rec = ClockRecognizer()
    events = await run(probs, rec, partial_interval_s=0.5, max_utterance_s=30)
    partial_spans = [end - start for start, end in rec.decoded[:-1]]
    assert len(partial_spans) > 10
    # Without commits the last partial would decode ~14 s; with them it stays short.
    assert max(partial_spans[5:]) < 4.5
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert len(finals) == 1
    words = finals[0].text.split()
    # Every second of the turn exactly once, in order: nothing lost or repeated at commits.
    assert words == [f"s{i}" for i in range(1, len(words) + 1)]
    assert len(words) >= 13


async def test_partials_precede_their_final_and_finals_never_repeat():
    probs = pattern((0.5, 0.0), (3.0, 0.9), (1.0, 0.0), (3.0, 0.9), (1.0, 0.0))
    events = await run(probs, ClockRecognizer(), partial_interval_s=0.5)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert [f.turn for f in finals] == [1, 2]
    for f in finals:
        kinds = [type(e) for e in events if getattr(e, "turn", None) == f.turn
                 and isinstance(e, (TranscriptFinal, TranscriptPartial))]
        assert kinds[-1] is TranscriptFinal and TranscriptPartial in kinds
    texts = [f.text for f in finals]
    assert len(set(texts)) == len(texts)
    names = [(e.turn, e.name) for e in events if isinstance(e, LatencyMark)]
    for turn in (1, 2):
        order = [n for t, n in names if t == turn]
        assert order.index("speech_start") < order.index("first_partial") < order.index("final")
        assert order.index("speech_end") < order.index("final")


async def test_a_turn_cut_for_length_is_timed_from_the_cut_not_as_a_speech_end():
    """Speech end -> final counts only turns whose speaker stopped: a turn cut at
    max_utterance_s while the speaker goes on is timed as split -> final instead."""
    probs = pattern((0.5, 0.0), (9.0, 0.9), (1.0, 0.0), (2.0, 0.9), (1.0, 0.0))
    events = await run(probs, ClockRecognizer(), max_utterance_s=4.0)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    marks = {(e.turn, e.name) for e in events if isinstance(e, LatencyMark)}
    ends = {f.turn: [n for n in ("split", "speech_end") if (f.turn, n) in marks]
            for f in finals}
    assert all(len(names) == 1 for names in ends.values()), ends
    # The 9 s of speech is cut (at least twice); the 2 s turn after the pause really ends.
    assert sum(names == ["split"] for names in ends.values()) >= 2, ends
    last = finals[-1]
    assert last.start >= 10.0 and ends[last.turn] == ["speech_end"], ends


async def test_a_backlog_thins_partials_but_keeps_every_final():
    probs = pattern(*[(s, p) for _ in range(6) for s, p in ((2.0, 0.9), (0.8, 0.0))])
    slow = ClockRecognizer(delay=0.4)  # slower than the audio arrives at this speed
    events = await run(probs, slow, speed=6.0, partial_interval_s=0.5)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    partials = [e for e in events if isinstance(e, TranscriptPartial)]
    assert [f.turn for f in finals] == [1, 2, 3, 4, 5, 6]
    assert len(partials) < 6


async def test_no_partial_starts_while_the_speaker_is_quiet():
    # Speech, a pause longer than the partial interval, speech again, then the end.
    probs = pattern((0.5, 0.0), (1.5, 0.9), (0.5, 0.0), (1.5, 0.9), (1.0, 0.0))
    rec = ClockRecognizer()
    await run(probs, rec, speed=1.0, partial_interval_s=0.3, endpoint_silence_s=0.6)
    voiced = [(0.5, 2.0), (2.5, 4.0)]
    partial_ends = [end for _, end in rec.decoded[:-1]]
    assert partial_ends
    # Each partial was asked for while the speaker was talking or had just stopped.
    assert all(any(a <= t <= b + 0.3 for a, b in voiced) for t in partial_ends), partial_ends


class WatchingRecognizer(ClockRecognizer):
    """Notes, for each decode, whether the turn's end had been published when it started."""

    def __init__(self, events, delay=0.0):
        super().__init__(delay)
        self.events = events
        self.started_after_end: list[bool] = []

    async def transcribe_async(self, audio, offset=0.0, prompt=None, final=True):
        self.started_after_end.append(any(isinstance(e, SpeechEnded) for e in self.events))
        return await super().transcribe_async(audio, offset, prompt)


async def run_watched(probs, delay, speed, **settings):
    bus = Bus()
    events = []
    rec = WatchingRecognizer(events, delay)
    stt = Transcriber("c", Settings(**settings), rec, bus.publish,
                      make_vad=lambda: ScriptedVad(probs))
    bus.subscribe(stt.handle)
    bus.subscribe(events.append, TranscriptFinal, TranscriptPartial, SpeechEnded)
    await feed_leg(bus.publish, "c", "customer", np.zeros(len(probs) * 512, np.float32), speed)
    await bus.drain()
    await stt.close()
    await bus.close()
    return rec, events


async def test_the_final_is_decoded_while_the_silence_that_ends_the_turn_lasts():
    probs = pattern((0.5, 0.0), (2.0, 0.9), (1.5, 0.0))
    rec, events = await run_watched(probs, delay=0.0, speed=4.0, partial_interval_s=0.5,
                                    endpoint_silence_s=0.6)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert len(finals) == 1
    # The final's audio was decoded once, before the turn's end was even announced.
    final_decodes = [i for i, (_, end) in enumerate(rec.decoded) if end >= 2.7]
    assert len(final_decodes) == 1
    assert rec.started_after_end[final_decodes[0]] is False


async def test_a_pause_the_speaker_talks_through_is_published_as_a_partial():
    # A 0.4 s pause (shorter than the 0.6 s that ends a turn) with a slow recognizer: the
    # decode made during the pause returns after the speaker went on.
    probs = pattern((0.5, 0.0), (1.5, 0.9), (0.4, 0.0), (2.5, 0.9), (1.0, 0.0))
    rec, events = await run_watched(probs, delay=1.0, speed=1.0, partial_interval_s=5.0,
                                    endpoint_silence_s=0.6)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    partials = [e for e in events if isinstance(e, TranscriptPartial)]
    assert len(finals) == 1
    # The pause's decode became a partial of the turn so far (it ends inside the pause) ...
    assert any(2.0 < p.end < 2.4 for p in partials), [(p.start, p.end) for p in partials]
    # ... and the final was decoded again, with the whole turn.
    assert rec.decoded[-1][1] > 4.5
