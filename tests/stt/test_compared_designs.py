"""The designs `callkit bench designs` compares the STT stage with, each checked on its own:
fixed batching, and re-decoding the whole turn on every partial."""

import math
from functools import partial

from callkit.bench.batching import FixedBatchTranscriber
from callkit.events import LatencyMark, TranscriptFinal, TranscriptPartial
from callkit.stt.transcriber import Transcriber
from tests.stt.test_endpointing_synthetic import pattern
from tests.stt.test_transcriber_policy import ClockRecognizer, run

TWO_TURNS = pattern((0.5, 0.0), (3.0, 0.9), (1.0, 0.0), (3.0, 0.9), (1.5, 0.0))


def marks(events):
    out = {}
    for e in events:
        if isinstance(e, LatencyMark):
            out.setdefault((e.turn, e.name), e.wall)
    return out


async def test_batching_decodes_fixed_batches_once_each_and_marks_every_turn():
    rec = ClockRecognizer()
    events = await run(TWO_TURNS, rec, make_stage=partial(FixedBatchTranscriber, batch_s=2.0))
    # Every batch is 2 s of audio whatever is said, decoded once; the rest at the leg's end.
    assert [round(end - start, 2) for start, end in rec.decoded[:-1]] == [2.0] * 4
    assert not any(isinstance(e, TranscriptPartial) for e in events)
    words = " ".join(e.text for e in events if isinstance(e, TranscriptFinal)).split()
    assert words == [f"s{i}" for i in range(len(words))] and len(words) == 9
    m = marks(events)
    # Each turn's speech is timed as the streaming stage times it, and its text as soon as
    # the batch holding its end (or its start) was decoded.
    for turn in (1, 2):
        assert m[(turn, "final")] >= m[(turn, "speech_end")] > m[(turn, "speech_start")]
        assert m[(turn, "first_partial")] >= m[(turn, "speech_start")]


async def test_the_whole_turn_design_redecodes_from_the_turns_start_every_time():
    probs = pattern((0.5, 0.0), (8.0, 0.9), (1.0, 0.0))
    rec = ClockRecognizer()
    events = await run(probs, rec, partial_interval_s=0.5, max_utterance_s=30,
                       make_stage=partial(Transcriber, commit_margin_s=math.inf))
    starts = {round(start, 2) for start, _ in rec.decoded}
    assert len(rec.decoded) > 5 and len(starts) == 1  # nothing committed, nothing skipped
    spans = [end - start for start, end in rec.decoded]
    assert spans == sorted(spans) and spans[-1] > 8.0
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert len(finals) == 1
    words = finals[0].text.split()
    assert words == [f"s{i}" for i in range(1, len(words) + 1)] and len(words) >= 7
