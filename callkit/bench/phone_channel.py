"""A telephone-channel copy of a folder of speech, made with sox.

Calls reach the kit the way a phone line carries them: 8 kHz, the 300–3400 Hz band, 8-bit
μ-law. Read speech recorded in a studio flatters a recognizer; this copy is how
``callkit eval stt --channel phone`` measures it on audio like a call's. Each audio file that
has a same-named ``.txt`` reference is converted, and the reference copied beside it.

Run it by hand with ``python -m callkit.bench.phone_channel SRC DST``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

# sox: band-pass 300–3400 Hz (a steep FIR), then resample to 8 kHz mono and encode μ-law.
SOX_EFFECTS = ["sinc", "300-3400"]
SOX_OUTPUT = ["-r", "8000", "-c", "1", "-e", "u-law", "-b", "8"]


def phone_copy(source: Path, target: Path, pairs: list[tuple[Path, Path]]) -> Path:
    """Write the telephone-channel copy of ``pairs`` (audio, reference) into ``target``."""
    sox = shutil.which("sox")
    if sox is None:
        raise FileNotFoundError("the telephone-channel copy needs sox (Debian: apt install sox)")
    target.mkdir(parents=True, exist_ok=True)
    for audio, reference in pairs:
        out = target / f"{audio.stem}.wav"
        done = subprocess.run([sox, str(audio), *SOX_OUTPUT, str(out), *SOX_EFFECTS],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(f"sox could not convert {audio}: {done.stderr.strip()}")
        shutil.copyfile(reference, target / f"{audio.stem}.txt")
    return target


def main(argv: list[str]) -> int:
    from .stt_eval import find_pairs

    if len(argv) != 2:
        print("usage: python -m callkit.bench.phone_channel SRC DST", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    phone_copy(source, target, find_pairs(source))
    print(f"wrote the telephone-channel copy of {source} to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
