"""What an engine yields: suggestions, with the facts they rest on, and customer-panel updates;
plus the wording helpers the rules share. Its own module so that the rules' modules
(rules.py, identity.py) can all use it without importing each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..events import Priority, SuggestionKind

# The topics a suggestion may raise, the same for every engine and the scenario evaluation
# (``callkit eval assistant``); a knowledge-base answer carries its row's topic, and an
# extension's rule may use any word.
TOPICS = ("identified", "verify_identity", "order_status", "billing", "return_policy",
          "frustration", "churn", "tier", "upsell", "policy_violation", "card_number",
          "callback", "escalation", "shipping")

# One fact a suggestion rests on, shown under its card: {"kind": "tool" | "policy" | "customer"
# | "transcript" | "agent" | "model", "name": what it came from, "fact": the fact itself}.
Source = dict[str, str]


@dataclass(frozen=True)
class Suggestion:
    kind: SuggestionKind
    priority: Priority
    topic: str
    text: str
    key: str = ""            # what the policy's cooldown and feedback are about
    confidence: float = 0.9
    # The tool results, policies, customer record or words this suggestion quotes, built by
    # the rule from what it actually read (callkit/assistant/sources.py), never reconstructed
    # afterwards: the agent must be able to check a suggestion before saying it.
    sources: tuple[Source, ...] = ()

    @property
    def policy_key(self) -> str:
        return self.key or self.topic


@dataclass(frozen=True)
class ContextUpdate:
    context: dict[str, Any] | None
    candidates: tuple[dict[str, Any], ...] = ()
    reason: str = ""


Output = Suggestion | ContextUpdate


def money(value: float) -> str:
    return f"${value:,.2f}"


def day_phrase(when: str | None, today: dt.date) -> str:
    """'yesterday', 'today', 'on Mon, Nov 23' for an ISO date or timestamp."""
    if not when:
        return "on an unknown date"
    day = dt.date.fromisoformat(when[:10])
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if delta == -1:
        return "tomorrow"
    return f"on {day:%a, %b} {day.day}"


def first_name(customer: dict[str, Any] | None) -> str:
    return customer["name"].split()[0] if customer else "the customer"
