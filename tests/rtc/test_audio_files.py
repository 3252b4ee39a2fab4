"""Audio files a user hands over (issue 15): anything that is not playable audio is refused
with a message naming the file, before a call starts and without a traceback; MP3 and a WAV
cut short play what they hold."""

import json
import wave

import av
import numpy as np
import pytest

from callkit.cli import main
from callkit.rtc.sources import RATE, check_audio, read_audio


def a_wav(path, seconds=1.0, rate=16000):
    tone = (8000 * np.sin(np.arange(int(rate * seconds)) / 5)).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.tobytes())
    return path


def an_mp3(path, seconds=1.0):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=44100, layout="mono")
        tone = (0.3 * np.sin(np.arange(int(44100 * seconds)) / 7)).astype(np.float32)
        for start in range(0, len(tone), 1152):
            frame = av.AudioFrame.from_ndarray(tone[None, start:start + 1152], format="flt",
                                               layout="mono")
            frame.sample_rate = 44100
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def bad_files(tmp_path):
    """name → (file, what the message says)."""
    good = a_wav(tmp_path / "good.wav").read_bytes()
    files = {"text renamed .wav": (b"hello, I am a text file\n", "not audio"),
             "0-byte file": (b"", "not audio"),
             "cut inside the header": (good[:30], "not audio"),
             "a header and no samples": (good[:44], "holds no audio"),
             "random bytes": (np.random.default_rng(1).bytes(50_000), "not audio")}
    out = {}
    for i, (what, (data, says)) in enumerate(files.items()):
        path = tmp_path / f"bad{i}.wav"
        path.write_bytes(data)
        out[what] = (path, says)
    return out


def test_files_that_are_no_audio_are_refused_naming_the_file(tmp_path):
    for what, (path, says) in bad_files(tmp_path).items():
        for read in (read_audio, check_audio):
            with pytest.raises(ValueError, match=says) as refused:
                read(path)
            assert str(path) in str(refused.value), what
    with pytest.raises(FileNotFoundError, match="nowhere.wav"):
        read_audio(tmp_path / "nowhere.wav")


def test_mp3_and_a_wav_cut_short_play_what_they_hold(tmp_path):
    samples = read_audio(an_mp3(tmp_path / "tone.mp3", seconds=1.0))
    assert abs(len(samples) / RATE - 1.0) < 0.1 and np.abs(samples).max() > 5000
    whole = a_wav(tmp_path / "whole.wav").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole[: len(whole) // 2])
    check_audio(cut)
    assert 0.4 < len(read_audio(cut)) / RATE < 0.6


def a_recording(tmp_path, customer: bytes | None, script: object) -> str:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(script) if not isinstance(script, str) else script)
    good = a_wav(tmp_path / "mine_agent.wav").read_bytes()
    (tmp_path / "mine_customer.wav").write_bytes(good if customer is None else customer)
    (tmp_path / "mine_agent.wav").write_bytes(good)
    return str(path)


@pytest.mark.parametrize("customer, script, says", [
    (b"not audio", {"id": "mine"}, "mine_customer.wav: it is not audio"),
    (b"", {"id": "mine"}, "mine_customer.wav: it is not audio"),
    (None, "{not json", "mine.json is not a recorded call's script"),
    (None, ["a", "list"], "mine.json is not a recorded call's script"),
    (None, {"title": "no id"}, "mine.json is not a recorded call's script"),
    (None, {"id": "other"}, "lacks"),
])
def test_callkit_demo_names_the_bad_file_and_shows_no_traceback(tmp_path, capsys, customer,
                                                                script, says):
    path = a_recording(tmp_path, customer, script)
    assert main(["demo", "--call", path, "--db", str(tmp_path / "x.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("callkit: ") and says in err and "Traceback" not in err
    assert not (tmp_path / "x.duckdb").exists()  # refused before anything was opened
