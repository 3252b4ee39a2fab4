"""Regenerate the recorded calls in data/calls from their scripts.

Each ``<id>.json`` script lists turns (speaker, text), an espeak-ng voice per speaker and
optionally a speaking rate in words per minute.
This writes ``<id>_customer.wav`` and ``<id>_agent.wav`` (16 kHz mono, 16-bit): both legs
have the same length, each silent while the other speaks, as a two-channel recording of a
real call would be. The time of every turn is written back into the script.

    python data/make_calls.py                  # all scripts
    python data/make_calls.py sarah_order
    python data/make_calls.py --out /tmp/calls  # write elsewhere (scripts are copied)

Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

RATE = 16000
GAP_S = 0.9       # pause between turns, long enough for the endpointer to close a turn
LEAD_S = 0.5      # silence before the first turn
WORDS_PER_MIN = 150
CALLS = Path(__file__).resolve().parent / "calls"


def speak(text: str, voice: str, rate: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text],
                       check=True)
        subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)],
                       check=True)
        with wave.open(str(out)) as w:
            audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    # espeak-ng pads its output with silence; trim it so a turn's times are when it speaks.
    loud = np.flatnonzero(np.abs(audio) > 300)
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype(np.int16).tobytes())


def make(script_path: Path, out_dir: Path) -> None:
    script = json.loads(script_path.read_text())
    voices = script["voices"]
    pieces: list[tuple[str, int, np.ndarray]] = []
    cursor = int(LEAD_S * RATE)
    for turn in script["turns"]:
        audio = speak(turn["text"], voices[turn["speaker"]], script.get("rate", WORDS_PER_MIN))
        turn["start_s"] = round(cursor / RATE, 3)
        turn["end_s"] = round((cursor + len(audio)) / RATE, 3)
        pieces.append((turn["speaker"], cursor, audio))
        cursor += len(audio) + int(GAP_S * RATE)
    legs = {leg: np.zeros(cursor, dtype=np.int16) for leg in ("customer", "agent")}
    for speaker, at, audio in pieces:
        legs[speaker][at:at + len(audio)] = audio
    for leg, samples in legs.items():
        write_wav(out_dir / f"{script['id']}_{leg}.wav", samples)
    script["duration_s"] = round(cursor / RATE, 3)
    (out_dir / script_path.name).write_text(json.dumps(script, indent=2) + "\n")
    print(f"{script['id']}: {len(pieces)} turns, {script['duration_s']:.1f} s")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="scripts to render (default: all)")
    parser.add_argument("--out", type=Path, default=CALLS, help="output folder")
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install espeak-ng sox)")
    names = args.names or sorted(p.stem for p in CALLS.glob("*.json"))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = CALLS / f"{name}.json"
        if not path.is_file():
            sys.exit(f"no script {path}")
        make(path, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
