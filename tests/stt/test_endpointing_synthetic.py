"""Endpointing with synthetic frames: a scripted VAD decides what is speech."""

import numpy as np
import pytest

from callkit.stt.endpointing import (PRE_ROLL_S, TAIL_S, WINDOW, WINDOW_S, Endpointer,
                                     SpeechStart, Utterance)


class ScriptedVad:
    """Speech probability per 32 ms window, read from a script; carries partial windows."""

    def __init__(self, probs):
        self.probs = list(probs)
        self.i = 0
        self.pending = 0

    def __call__(self, samples):
        self.pending += len(samples)
        n, self.pending = divmod(self.pending, WINDOW)
        out = self.probs[self.i:self.i + n]
        self.i += n
        return out + [0.0] * (n - len(out))


def pattern(*runs):
    """pattern((seconds, prob), ...) -> per-window probabilities."""
    out = []
    for seconds, prob in runs:
        out += [prob] * round(seconds / WINDOW_S)
    return out


def run(probs, **kw):
    ep = Endpointer(vad=ScriptedVad(probs), **kw)
    audio = np.arange(len(probs) * WINDOW, dtype=np.float32)  # sample i holds the value i
    out = []
    for i in range(0, len(audio), 320):
        out += ep.feed(audio[i:i + 320], i / 16000)
    return out + ep.flush()


def test_a_turn_ends_after_the_configured_silence():
    probs = pattern((1.0, 0.0), (2.0, 0.9), (1.0, 0.0))
    out = run(probs, silence_s=0.5)
    assert [type(e) for e in out] == [SpeechStart, Utterance]
    utt = out[1]
    assert utt.speech_end == pytest.approx(3.0, abs=WINDOW_S)
    assert utt.start == pytest.approx(1.0 - PRE_ROLL_S, abs=2 * WINDOW_S)  # pre-roll kept
    assert utt.end == pytest.approx(3.0 + TAIL_S, abs=2 * WINDOW_S)  # tail kept
    # The audio is exactly the input between start and end.
    assert utt.audio[0] == pytest.approx(round(utt.start * 16000), abs=1)
    assert len(utt.audio) == pytest.approx((utt.end - utt.start) * 16000, abs=1)


def test_a_short_pause_does_not_end_the_turn():
    probs = pattern((0.5, 0.0), (1.0, 0.9), (0.3, 0.1), (1.0, 0.9), (1.0, 0.0))
    utterances = [e for e in run(probs, silence_s=0.5) if isinstance(e, Utterance)]
    assert len(utterances) == 1


def test_clicks_are_not_turns():
    probs = pattern((0.5, 0.0), (0.1, 0.9), (1.0, 0.0))
    assert run(probs) == []


def test_a_long_turn_is_cut_at_the_quietest_window_without_losing_audio():
    probs = pattern((0.2, 0.0), (6.0, 0.9), (0.1, 0.3), (4.0, 0.9), (1.0, 0.0))
    out = run(probs, max_utterance_s=8.0, silence_s=0.6)
    utterances = [e for e in out if isinstance(e, Utterance)]
    assert len(utterances) == 2
    first, second = utterances
    assert first.end == pytest.approx(6.2 + 0.1, abs=0.1)  # in the dip, not at 8 s
    assert second.start == pytest.approx(first.end, abs=1e-9)
    joined = np.concatenate([first.audio, second.audio])
    assert np.all(np.diff(joined) == 1)  # contiguous: nothing dropped or repeated


def test_the_end_of_a_leg_flushes_the_open_turn():
    probs = pattern((0.5, 0.0), (1.5, 0.9))
    out = run(probs)
    assert isinstance(out[-1], Utterance)
    assert out[-1].speech_end == pytest.approx(2.0, abs=WINDOW_S)


def run_with_holes(probs, lost, **kw):
    """Like run(), but the 20 ms chunks whose index is in ``lost`` never arrive (packets lost
    on the way); ``probs`` are the received windows'. Chunks are stamped at their true times,
    as the capture stamps them."""
    ep = Endpointer(vad=ScriptedVad(probs), **kw)
    audio = np.arange(len(probs) * WINDOW, dtype=np.float32)
    out, received, sent = [], 0, 0
    while received < len(audio):
        if sent not in lost:
            out += ep.feed(audio[received:received + 320], sent * 320 / 16000)
            received += 320
        sent += 1
    return out + ep.flush()


def test_a_turn_is_spliced_across_lost_packets_and_the_clock_catches_up_after_it():
    probs = pattern((1.0, 0.0), (2.0, 0.9), (1.0, 0.0), (1.0, 0.9), (1.0, 0.0))
    lost = set(range(60, 110, 5))  # ten 20 ms packets lost in the first turn
    first, second = [e for e in run_with_holes(probs, lost, silence_s=0.5)
                     if isinstance(e, Utterance)]
    assert np.all(np.diff(first.audio) == 1)  # whole: the words on both sides of each hole
    assert first.start == pytest.approx(1.0 - PRE_ROLL_S, abs=2 * WINDOW_S)
    # The second turn starts 4.0 s into the received audio: 4.2 s into the call.
    assert second.start == pytest.approx(4.2 - PRE_ROLL_S, abs=2 * WINDOW_S)
    assert second.speech_end == pytest.approx(5.2, abs=2 * WINDOW_S)


def test_a_hole_as_long_as_a_pause_ends_the_turn():
    probs = pattern((1.0, 0.0), (2.0, 0.9), (1.0, 0.0))
    lost = set(range(75, 115))  # 0.8 s lost from 1.5 s, in mid-turn
    utterances = [e for e in run_with_holes(probs, lost, silence_s=0.5)
                  if isinstance(e, Utterance)]
    assert len(utterances) == 2
    assert utterances[0].speech_end == pytest.approx(1.5, abs=2 * WINDOW_S)
    assert utterances[1].start == pytest.approx(2.3, abs=2 * WINDOW_S)
    assert utterances[1].speech_end == pytest.approx(3.8, abs=2 * WINDOW_S)


def test_a_hole_shorter_than_a_pause_does_not_end_the_turn():
    # aiortc's jitter buffer throws away up to 16 packets (0.32 s) at once when it skips ahead.
    probs = pattern((1.0, 0.0), (2.0, 0.9), (1.0, 0.0))
    lost = set(range(75, 91))  # 0.32 s lost from 1.5 s, in mid-turn
    utterances = [e for e in run_with_holes(probs, lost, silence_s=0.5)
                  if isinstance(e, Utterance)]
    assert len(utterances) == 1 and np.all(np.diff(utterances[0].audio) == 1)
