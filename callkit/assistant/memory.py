"""What the assistant remembers of one call: turns, customer, orders, topics, commitments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ..events import Leg

_analyzer = SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """VADER compound score, from -1 (very negative) to +1 (very positive)."""
    return float(_analyzer.polarity_scores(text)["compound"])


def sentiment_label(score: float) -> str:
    if score >= 0.2:
        return "positive"
    if score <= -0.2:
        return "negative"
    return "neutral"


@dataclass
class Turn:
    leg: Leg
    text: str
    start: float
    sentiment: float


@dataclass
class CallMemory:
    turns: list[Turn] = field(default_factory=list)
    customer: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    # How sure the identification is (identity.py SURETY): a surer mention may correct it.
    surety: int = 0
    # Customers the call points at without proving who is calling (an ambiguous name, a
    # caller ID shared by several, the owner of an order quoted before identification).
    candidates: list[dict[str, Any]] = field(default_factory=list)
    candidates_reason: str = ""
    # Orders quoted before the caller was known: shown once the caller is, if theirs.
    pending_orders: list[str] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    repeat_contact: bool = False  # the caller said they called about this before
    commitments: list[str] = field(default_factory=list)
    resolutions: list[str] = field(default_factory=list)
    said: set[str] = field(default_factory=set)  # keys of suggestions already given
    actions: list[str] = field(default_factory=list)  # quick actions the agent took
    flags: list[tuple[float, str]] = field(default_factory=list)  # (call time, note)
    shown: int = 0  # suggestions shown to the agent
    feedback: dict[str, int] = field(default_factory=dict)  # "used"/"dismissed" -> count

    def add_turn(self, leg: Leg, text: str, start: float) -> Turn:
        turn = Turn(leg=leg, text=text, start=start, sentiment=sentiment_score(text))
        self.turns.append(turn)
        return turn

    def note_topic(self, topic: str) -> None:
        if topic not in self.topics:
            self.topics.append(topic)

    def customer_sentiments(self) -> list[float]:
        return [t.sentiment for t in self.turns if t.leg == "customer"]

    def open_questions(self) -> list[str]:
        """Customer questions no agent turn has followed yet."""
        open_: list[str] = []
        for turn in self.turns:
            if turn.leg == "agent":
                open_.clear()
            elif turn.text.rstrip().endswith("?"):
                open_.append(turn.text.strip())
        return open_

    @property
    def last_order(self) -> dict[str, Any] | None:
        return next(reversed(self.orders.values()), None)
