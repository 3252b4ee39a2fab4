"""Latency figures from the LatencyMark events of one or many calls."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .events import Event, LatencyMark, SuggestionStarted

# (figure name, from mark, to mark) — names follow DESIGN.md's figure keys.
SPANS = (
    ("speech_end_to_final", "speech_end", "final"),
    # A turn cut at max_utterance_s while the speaker talks on: from the cut to its final.
    ("split_to_final", "split", "final"),
    ("speech_start_to_first_partial", "speech_start", "first_partial"),
    ("final_to_first_token", "final", "first_token"),
    ("speech_end_to_first_token", "speech_end", "first_token"),
    # A suggestion answering a partial, while the speaker was still talking: how long before
    # they stopped its first word came. Kept apart so it cannot flatter the figures above.
    ("early_token_before_speech_end", "early_token", "speech_end"),
    ("final_to_suggestion_done", "final", "suggestion_done"),
    # A model engine's own answer (assistant/model_cards.py), shown or not.
    ("final_to_first_model_token", "final", "model_first_token"),
    ("final_to_model_done", "final", "model_done"),
    ("first_token_to_shown", "first_token", "shown"),
    ("speech_end_to_shown", "speech_end", "shown"),
)


def turn_of_suggestion(entries: list[tuple[int, Event]],
                       suggestion_id: str) -> tuple[str, int] | None:
    """The (leg, turn) whose final a suggestion answers, from a call's journal entries; None
    for one answering a partial, or one not found. The assistant marks the triggering turn
    right after a suggestion's first word (``first_token``, or ``early_token`` for a partial),
    so the first such mark after the suggestion's start names the turn. Cards answering a
    partial are left out of "shown": it follows first_token, as the waterfall reads it."""
    started = False
    for _, event in entries:
        if isinstance(event, SuggestionStarted) and event.suggestion_id == suggestion_id:
            started = True
        elif (started and isinstance(event, LatencyMark)
              and event.name in ("first_token", "early_token")):
            return (event.leg, event.turn) if event.name == "first_token" else None
    return None


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


class LatencyTracker:
    """A bus subscriber: collects marks per (call, leg, turn) and reports spans."""

    def __init__(self) -> None:
        self._marks: dict[tuple[str, str, int], dict[str, float]] = defaultdict(dict)

    def __call__(self, event: Event) -> None:
        if isinstance(event, LatencyMark):
            # The first time a mark is reached counts (e.g. the first of several tokens).
            self._marks[(event.call_id, event.leg, event.turn)].setdefault(event.name, event.wall)

    def spans(self, name: str) -> list[float]:
        _, start, end = next(s for s in SPANS if s[0] == name)
        return [m[end] - m[start] for m in self._marks.values() if start in m and end in m]

    def summary(self) -> dict[str, float]:
        """p50 and p95 of every span that has data, as ``<span>_p50_s`` / ``_p95_s``."""
        out: dict[str, float] = {}
        for name, _, _ in SPANS:
            values = self.spans(name)
            if values:
                out[f"{name}_p50_s"] = round(percentile(values, 50), 3)
                out[f"{name}_p95_s"] = round(percentile(values, 95), 3)
                out[f"{name}_n"] = len(values)
        return out
