"""The latency figures every benchmark reports, from a call's LatencyMarks."""

from callkit.events import LatencyMark
from callkit.metrics import LatencyTracker


def mark(turn: int, name: str, wall: float) -> LatencyMark:
    return LatencyMark(call_id="c", leg="customer", turn=turn, name=name, wall=wall)


def test_a_turn_answered_from_a_partial_is_counted_apart_from_those_answered_from_the_final():
    tracker = LatencyTracker()
    for event in (mark(1, "speech_end", 10.0), mark(1, "final", 10.8),
                  mark(1, "first_token", 10.81),
                  # Turn 2's suggestion came from a partial, 1.5 s before the caller stopped.
                  mark(2, "early_token", 18.5), mark(2, "speech_end", 20.0),
                  mark(2, "final", 20.7)):
        tracker(event)
    summary = tracker.summary()
    assert summary["speech_end_to_first_token_n"] == 1
    assert summary["speech_end_to_first_token_p50_s"] == 0.81
    assert summary["early_token_before_speech_end_n"] == 1
    assert summary["early_token_before_speech_end_p50_s"] == 1.5
    assert summary["speech_end_to_final_n"] == 2
