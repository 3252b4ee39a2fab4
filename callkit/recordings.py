"""Recorded calls: a script (turns, speaker, text, times) plus one audio file per leg."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .events import Leg

LEGS: tuple[Leg, ...] = ("customer", "agent")


def calls_dir() -> Path:
    """data/calls: inside the installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "calls", here.parent / "data" / "calls"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the recorded calls (data/calls) are not installed")


@dataclass(frozen=True)
class RecordedCall:
    id: str
    title: str
    legs: dict[Leg, Path]
    turns: tuple[dict, ...] = ()
    duration_s: float | None = None


def list_recordings() -> list[str]:
    return sorted(p.stem for p in calls_dir().glob("*.json"))


def load_recording(name: str | Path) -> RecordedCall:
    """A recording by name (``sarah_order``) or by the path of its script JSON."""
    path = Path(name)
    if path.suffix != ".json":
        path = calls_dir() / f"{name}.json"
    if not path.is_file():
        known = ", ".join(list_recordings())
        raise FileNotFoundError(f"no recorded call {str(name)!r} (known: {known})")
    try:
        script = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a recorded call's script (JSON): {exc}") from None
    if not isinstance(script, dict) or not isinstance(script.get("id"), str):
        raise ValueError(f"{path} is not a recorded call's script: it needs an \"id\"")
    legs = {leg: path.with_name(f"{script['id']}_{leg}.wav") for leg in LEGS}
    missing = [str(p) for p in legs.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"recorded call {script['id']!r} lacks {', '.join(missing)}")
    return RecordedCall(id=script["id"], title=script.get("title", script["id"]), legs=legs,
                        turns=tuple(script.get("turns", ())),
                        duration_s=script.get("duration_s"))
