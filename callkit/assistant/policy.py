"""What reaches the agent: the suggestion policy between the engines and the UI.

An engine may propose as much as it likes; the policy keeps the agent's panel useful:
- confidence gate: proposals the engine is unsure of are dropped;
- dedupe: a proposal too similar to one of its kind already shown this call is dropped (a streamed one is
  judged on its opening words, before any of it is shown: see ``opening``);
- per-topic cooldown: the same topic (``key``: e.g. one order, or "billing") again only after
  a while;
- feedback: after the agent dismisses a suggestion, similar ones and its key stay quiet;
- cap: at most N per minute (high-priority alerts are never capped);
- debounce: tips are spaced at least ``min_gap_s`` apart (the later one waits).
A model's suggestion (``model=True``) passes all of these too: its own word that it is urgent
exempts it from neither the cap nor the debounce.
Times are call times (seconds of audio), so replaying a call faster changes nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from ..config import Settings

DISMISSED_SIMILARITY = 70.0


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str = ""
    wait_s: float = 0.0  # for an accepted tip: how long to hold it (debounce)


@dataclass
class _Shown:
    id: str
    key: str
    text: str
    at: float
    kind: str = "suggestion"


class SuggestionPolicy:
    def __init__(self, settings: Settings):
        self.min_gap_s = settings.suggestion_min_gap_s
        self.cooldown_s = settings.suggestion_cooldown_s
        self.similarity = settings.suggestion_similarity
        self.min_confidence = settings.suggestion_min_confidence
        self.per_minute = settings.suggestions_per_minute
        self._shown: list[_Shown] = []
        self._recent: deque[float] = deque()
        self._dismissed: list[_Shown] = []
        self._last_tip_at = float("-inf")
        self.rejected: dict[str, int] = {}

    def decide(self, *, kind: str, priority: str, key: str, text: str, confidence: float,
               at: float, opening: bool = False, model: bool = False) -> Decision:
        """``opening``: ``text`` is only how a message still streaming begins (its first clause
        or words); it is compared with the same number of opening words of what was shown.
        ``model``: the proposal (and its priority) comes from a language model."""
        if model and priority == "high":
            priority = "normal"  # for the policy; the card still shows the model's priority
        decision = self._decide(kind, priority, key, text, confidence, at, opening)
        if not decision.accepted:
            self.rejected[decision.reason] = self.rejected.get(decision.reason, 0) + 1
        return decision

    @staticmethod
    def _similarity(earlier: str, text: str, opening: bool) -> float:
        if not opening:
            return fuzz.token_set_ratio(earlier, text)
        # token_set_ratio scores any subset 100, and a few opening words are a subset of many
        # texts: compare them with as many opening words of the earlier text instead.
        words = text.split()
        head = " ".join(earlier.split()[:len(words)])
        return fuzz.token_sort_ratio(head, text, processor=utils.default_process)

    def _decide(self, kind, priority, key, text, confidence, at, opening) -> Decision:
        if confidence < self.min_confidence:
            return Decision(False, "low confidence")
        for d in self._dismissed:
            if d.key == key or self._similarity(d.text, text, opening) >= DISMISSED_SIMILARITY:
                return Decision(False, "dismissed before")
        for s in self._shown:
            # An alert is never a duplicate of a tip that shares its words: the agent broke a
            # policy the tip had quoted, and must hear it.
            if s.kind == kind and self._similarity(s.text, text, opening) >= self.similarity:
                return Decision(False, "duplicate")
            if s.key == key and at - s.at < self.cooldown_s:
                return Decision(False, "topic cooldown")
        urgent = priority == "high"
        while self._recent and at - self._recent[0] >= 60.0:
            self._recent.popleft()
        if not urgent and len(self._recent) >= self.per_minute:
            return Decision(False, "rate cap")
        wait = 0.0
        if kind == "suggestion" and not urgent:
            wait = max(0.0, self._last_tip_at + self.min_gap_s - at)
        return Decision(True, wait_s=wait)

    def shown(self, suggestion_id: str, *, kind: str, key: str, text: str, at: float) -> None:
        """Record a suggestion that was streamed to the agent."""
        self._shown.append(_Shown(suggestion_id, key, text, at, kind))
        self._recent.append(at)
        if kind == "suggestion":
            self._last_tip_at = max(self._last_tip_at, at)

    def feedback(self, suggestion_id: str, action: str) -> None:
        if action != "dismissed":
            return
        for s in self._shown:
            if s.id == suggestion_id:
                self._dismissed.append(s)
