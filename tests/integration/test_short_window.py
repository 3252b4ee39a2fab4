"""Whisper's encoder reading a window fitted to the turn (stt/short_window.py), with the
real model on real speech: it reads as well as the full 30 s window, and a decode that runs
on is done again the standard way."""

import jiwer
import numpy as np
import pytest

from callkit.bench.stt_eval import _normalize, find_pairs
from callkit.rtc.sources import read_audio
from callkit.stt import short_window
from callkit.stt.whisper import WhisperRecognizer
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration
PROMPT = "A customer calls support about an order number, an account number or a bill."


@pytest.fixture(scope="module")
def speech():
    return [(read_audio(a, 16000).astype(np.float32) / 32768, t.read_text())
            for a, t in find_pairs(SHARED_DATA / "speech")]


@pytest.fixture(scope="module")
def full():
    return WhisperRecognizer("tiny.en", min_window_s=30.0)


@pytest.fixture(scope="module")
def short():
    return WhisperRecognizer("tiny.en", min_window_s=10.0)


def wer(recognizer, speech):
    refs = [_normalize(ref) for _, ref in speech]
    hyps = [_normalize(" ".join(s.text for s in recognizer.transcribe(x, 0.0, PROMPT)))
            for x, _ in speech]
    return jiwer.wer(refs, hyps)


def test_the_short_window_reads_speech_as_well_as_the_full_one(full, short, speech):
    assert all(len(x) / 16000 + 1 < 30 for x, _ in speech)  # every clip takes the short path
    assert wer(short, speech) <= wer(full, speech) + 0.03  # within about a word in 35 s


def test_word_times_agree_with_the_full_window(full, short, speech):
    x, _ = speech[0]
    a = [w for s in full.transcribe(x, 0.0, PROMPT) for w in s.words]
    b = [w for s in short.transcribe(x, 0.0, PROMPT) for w in s.words]
    assert [w.text for w in a] == [w.text for w in b]
    assert max(abs(u.start - v.start) for u, v in zip(a, b)) < 0.3


def test_a_decode_that_runs_to_its_token_cap_is_done_again_at_full_window(
        full, short, speech, monkeypatch):
    x, _ = speech[0]
    monkeypatch.setattr(short_window, "TOKENS_PER_S", 0)
    monkeypatch.setattr(short_window, "TOKENS_FLOOR", 4)  # every decode reaches it
    redone = short._decoder.redone
    text = " ".join(s.text for s in short.transcribe(x, 0.0, PROMPT))
    assert short._decoder.redone == redone + 1
    assert text == " ".join(s.text for s in full.transcribe(x, 0.0, PROMPT))


def test_the_window_is_the_turn_plus_a_second_within_the_floor_and_30_s(short):
    decoder = short._decoder
    assert decoder.window_s(2.0) == 10.0
    assert decoder.window_s(12.5) == 13.5
    assert decoder.window_s(40.0) == 30.0
    with pytest.raises(ValueError, match="min_window_s"):
        short_window.ShortWindowDecoder(None, language="en", beam_size=1, min_window_s=0.5)


def test_a_long_prompt_on_a_long_turn_stays_within_whispers_token_limit(short, speech):
    x, _ = speech[0]  # jfk.flac, 11 s: twice over, cut to 19 s
    long_turn = np.concatenate([x, x])[: 19 * 16000]
    prompt = " ".join(["The customer's account, order number, bill and refund."] * 60)
    text = " ".join(s.text for s in short.transcribe(long_turn, 0.0, prompt))
    assert "fellow americans" in text.lower()
