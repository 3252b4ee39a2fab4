import json
import shutil
import subprocess
import sys

import pytest

from callkit.recordings import LEGS, calls_dir, list_recordings, load_recording
from callkit.rtc.sources import read_audio
from tests.conftest import ROOT


def test_the_seed_scenarios_are_recorded():
    assert {"sarah_order", "john_bill"} <= set(list_recordings())


@pytest.mark.parametrize("name", ["sarah_order", "john_bill"])
def test_each_leg_is_speech_only_during_its_own_turns(name):
    rec = load_recording(name)
    audio = {leg: read_audio(rec.legs[leg], 16000) for leg in LEGS}
    assert len(audio["customer"]) == len(audio["agent"])
    for turn in rec.turns:
        a, b = int(turn["start_s"] * 16000), int(turn["end_s"] * 16000)
        other = "agent" if turn["speaker"] == "customer" else "customer"
        assert abs(audio[turn["speaker"]][a:b]).max() > 3000
        assert abs(audio[other][a:b]).max() == 0


def test_unknown_recordings_are_a_clear_error():
    with pytest.raises(FileNotFoundError, match="known: .*sarah_order"):
        load_recording("no_such_call")


@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                    reason="espeak-ng and sox regenerate the calls (bash .ci/run installs them)")
def test_the_committed_calls_are_what_the_script_makes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "data" / "make_calls.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in list_recordings():
        made = json.loads((tmp_path / f"{name}.json").read_text())
        committed = json.loads((calls_dir() / f"{name}.json").read_text())
        assert made["duration_s"] == pytest.approx(committed["duration_s"], rel=0.02)
        for a, b in zip(made["turns"], committed["turns"]):
            assert (a["speaker"], a["text"]) == (b["speaker"], b["text"])
            assert a["start_s"] == pytest.approx(b["start_s"], abs=0.5)
