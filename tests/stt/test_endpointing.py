import numpy as np
import pytest

from callkit.recordings import load_recording
from callkit.rtc.sources import read_audio
from callkit.stt.endpointing import PRE_ROLL_S, Endpointer, SpeechStart, Utterance
from callkit.stt.vad import StreamingVad

RATE = 16000


def leg_audio(name: str, leg: str) -> np.ndarray:
    rec = load_recording(name)
    return read_audio(rec.legs[leg], RATE).astype(np.float32) / 32768.0


def run(endpointer: Endpointer, audio: np.ndarray, chunk: int = 320):
    out = []
    for i in range(0, len(audio), chunk):
        out += endpointer.feed(audio[i:i + chunk], i / RATE)
    return out + endpointer.flush()


def test_streaming_vad_matches_whole_file_vad():
    from faster_whisper.vad import get_vad_model

    audio = leg_audio("sarah_order", "customer")[: RATE * 6]
    audio = audio[: len(audio) // 512 * 512]
    whole = get_vad_model()(audio).reshape(-1)
    vad = StreamingVad()
    streamed = []
    for i in range(0, len(audio), 700):  # chunks that do not align with windows
        streamed += vad(audio[i:i + 700])
    assert np.allclose(streamed, whole[: len(streamed)], atol=1e-5)
    assert len(streamed) == len(whole)


def test_turns_of_a_scripted_leg_are_found_with_their_times():
    rec = load_recording("sarah_order")
    expected = [t for t in rec.turns if t["speaker"] == "customer"]
    out = run(Endpointer(silence_s=0.6), leg_audio("sarah_order", "customer"))
    utterances = [u for u in out if isinstance(u, Utterance)]
    starts = [s for s in out if isinstance(s, SpeechStart)]
    assert len(utterances) == len(expected) == len(starts)
    for utt, turn in zip(utterances, expected):
        assert utt.start == pytest.approx(turn["start_s"] - PRE_ROLL_S, abs=0.35)
        assert utt.speech_end == pytest.approx(turn["end_s"], abs=0.35)
        # The pre-roll and tail keep the soft start and end of every word.
        assert utt.start <= turn["start_s"] + 0.05 and utt.end >= turn["end_s"] - 0.05


@pytest.mark.parametrize("noise", ["silence", "white", "tone"])
def test_non_speech_makes_no_turns(noise):
    rng = np.random.default_rng(0)
    t = np.arange(RATE * 5) / RATE
    audio = {"silence": np.zeros(RATE * 5),
             "white": rng.normal(0, 0.05, RATE * 5),
             "tone": 0.3 * np.sin(2 * np.pi * 440 * t)}[noise].astype(np.float32)
    assert run(Endpointer(), audio) == []


def test_a_long_turn_is_split_at_a_pause_not_mid_word():
    audio = leg_audio("john_bill", "customer")
    rec = load_recording("john_bill")
    first = rec.turns[0]  # about 7.5 s with pauses between sentences
    span = audio[int((first["start_s"] - 0.3) * RATE): int((first["end_s"] + 1.0) * RATE)]
    out = run(Endpointer(max_utterance_s=4.0), span)
    utterances = [u for u in out if isinstance(u, Utterance)]
    assert len(utterances) >= 2
    # Each cut is marked as one (the speaker went on), the turn's real end is not.
    assert [u.split for u in utterances] == [True] * (len(utterances) - 1) + [False]
    for a, b in zip(utterances, utterances[1:]):
        assert a.end == pytest.approx(b.start, abs=1e-6)  # nothing lost at a cut
    # The cut falls where the VAD heard little speech.
    for u in utterances[:-1]:
        cut = int((u.end - utterances[0].start) * RATE)
        window = span[max(cut - 512, 0): cut + 512]
        assert np.sqrt(np.mean(window ** 2)) < np.sqrt(np.mean(span ** 2))
