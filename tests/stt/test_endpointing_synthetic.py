"""Endpointing with synthetic frames: a scripted VAD decides what is speech."""

import numpy as np
import pytest

from callkit.stt.endpointing import WINDOW, WINDOW_S, Endpointer, SpeechStart, Utterance


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
    assert utt.start == pytest.approx(1.0 - 0.3, abs=2 * WINDOW_S)  # pre-roll kept
    assert utt.end == pytest.approx(3.0 + 0.25, abs=2 * WINDOW_S)  # tail kept
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
