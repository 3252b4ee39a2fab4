"""Whisper's encoder reading a window fitted to the turn (stt/short_window.py), with the
real model on real speech: it reads as well as the full 30 s window, and a decode that runs
on is done again the standard way."""

import jiwer
import numpy as np
import pytest

from callkit.bench.stt_eval import _normalize, find_pairs
from callkit.rtc.sources import read_audio
from callkit.stt import short_window
from callkit.stt.endpointing import Endpointer, Utterance
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
    return WhisperRecognizer("tiny.en", min_window_s=10.0, partial_window_s=10.0)


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


def test_a_final_that_says_the_same_words_twice_is_done_again_and_a_partial_is_not(
        short, speech, monkeypatch):
    x, _ = speech[1]  # read speech without a long pause (jfk's is redone as a skip)
    monkeypatch.setattr(short_window, "_says_twice", lambda segments: True)
    redone = short._decoder.redone
    short.transcribe(x, 0.0, PROMPT, final=False)
    assert short._decoder.redone == redone
    short.transcribe(x, 0.0, PROMPT, final=True)
    assert short._decoder.redone == redone + 1


def words(*texts):
    from types import SimpleNamespace

    return [SimpleNamespace(words=[SimpleNamespace(word=w) for w in text.split()])
            for text in texts]


def test_words_said_twice_in_a_row_are_found_across_segments_and_punctuation():
    says_twice = short_window._says_twice
    assert says_twice(words(" Sure.", " Sure."))
    assert says_twice(words(" a lot of your, your, your needs."))
    assert says_twice(words(" I'm calling him because I'm calling him because I'm"))
    assert not says_twice(words(" ask not what your country can do for you,",
                                " ask what you can do for your country."))
    assert not says_twice(words())


def test_the_window_is_the_turn_plus_a_second_within_the_floor_and_30_s(short):
    window_s = short_window.ShortWindowDecoder.window_s
    assert window_s(2.0, 10.0) == 10.0
    assert window_s(12.5, 10.0) == 13.5
    assert window_s(40.0, 10.0) == 30.0
    with pytest.raises(ValueError, match="window floor"):
        WhisperRecognizer("tiny.en", partial_window_s=0.5)


def test_a_long_prompt_on_a_long_turn_stays_within_whispers_token_limit(short, speech):
    x, _ = speech[0]  # jfk.flac, 11 s: twice over, cut to 19 s
    long_turn = np.concatenate([x, x])[: 19 * 16000]
    prompt = " ".join(["The customer's account, order number, bill and refund."] * 60)
    text = " ".join(s.text for s in short.transcribe(long_turn, 0.0, prompt))
    assert "fellow americans" in text.lower()


def test_partials_read_the_partial_window_and_finals_the_final_one(speech):
    recognizer = WhisperRecognizer("tiny.en", min_window_s=30.0, partial_window_s=10.0)
    frames: list[int] = []
    encode = recognizer._decoder._encode_padded
    recognizer._decoder._encode_padded = lambda features: frames.append(
        features.shape[-1]) or encode(features)
    x, _ = speech[1]  # 7.1 s of read speech: a partial reads it in 10 s
    partial = recognizer.transcribe(x, 0.0, PROMPT, final=False)
    assert frames[0] == 1000
    del frames[:]
    final = recognizer.transcribe(x, 0.0, PROMPT, final=True)
    assert frames[0] == 3000
    # What whisper leaves after its first window (the turn's tail) is read in 10 s, not 30.
    assert all(f == 1000 for f in frames[1:])
    assert " ".join(s.text for s in partial) == " ".join(s.text for s in final)
    recognizer.close()


@pytest.mark.parametrize("fit", [True, False])
def test_a_final_that_waited_for_the_worker_is_read_in_the_partial_window(speech, fit):
    # A final that waited past BEHIND_S finds the machine behind on its calls: it is read at
    # the partials' cost, unless CALLKIT_STT_FIT_FINALS_WHEN_BEHIND is off.
    import time

    from callkit.stt.whisper import BEHIND_S

    recognizer = WhisperRecognizer("tiny.en", min_window_s=30.0, partial_window_s=10.0,
                                   fit_finals_when_behind=fit)
    frames: list[int] = []
    encode = recognizer._decoder._encode_padded
    recognizer._decoder._encode_padded = lambda features: frames.append(
        features.shape[-1]) or encode(features)
    x, _ = speech[1]
    recognizer.transcribe(x, 0.0, PROMPT, final=True, submitted=time.perf_counter())
    assert frames[0] == 3000
    del frames[:]
    late = recognizer.transcribe(x, 0.0, PROMPT, final=True,
                                 submitted=time.perf_counter() - BEHIND_S - 1.0)
    assert frames[0] == (1000 if fit else 3000)
    assert late and late[0].text
    recognizer.close()


def test_the_window_whisper_leaves_unread_is_read_fitted_on_real_calls():
    samples = read_audio(SHARED_DATA / "calls" / "auto_repairs_40_UTC_caller.wav", 16000)
    samples = samples[: 16000 * 60].astype(np.float32) / 32768
    recognizer = WhisperRecognizer("tiny.en", min_window_s=30.0, partial_window_s=10.0)
    frames: list[list[int]] = []
    encode = recognizer._decoder._encode_padded
    recognizer._decoder._encode_padded = lambda features: frames[-1].append(
        features.shape[-1]) or encode(features)
    endpointer = Endpointer()
    turns = [u for i in range(0, len(samples), 320)
             for u in endpointer.feed(samples[i:i + 320], i / 16000) if isinstance(u, Utterance)]
    for turn in turns[:8]:
        frames.append([])
        recognizer.transcribe(turn.audio, 0.0, PROMPT)
    assert len(frames) == 8 and all(f[0] == 3000 for f in frames)
    leftovers = [n for f in frames for n in f[1:]]
    assert leftovers and max(leftovers) < 3000
    recognizer.close()
