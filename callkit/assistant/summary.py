"""The end-of-call summary, composed from the call's memory (no model needed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .memory import CallMemory, sentiment_label

TOPIC_LABELS = {
    "order": "an order's status",
    "shipping": "a delivery",
    "billing": "a bill",
    "refund": "a return or refund",
    "exchange": "an exchange",
    "cancel": "cancelling",
    "cancel_order": "cancelling an order",
    "escalation": "escalation",
    "frustration": "frustration",
}


@dataclass(frozen=True)
class Summary:
    reason: str
    resolution: str
    action_items: tuple[str, ...]
    sentiment: str
    text: str


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _action_item(commitment: str) -> str:
    """ "email you a return label today" -> "Email the customer a return label today" """
    text = re.sub(r"\byou\b", "the customer", commitment.strip().rstrip("."))
    text = re.sub(r"\byour\b", "their", text)
    return _sentence_case(text)


def summarize(memory: CallMemory,
              action_items: Callable[[CallMemory], Sequence[str]] | None = None) -> Summary:
    """The call's summary from its memory; ``action_items`` (callkit/extensions.py) writes
    the action items in place of the agent's recorded commitments."""
    customer = memory.customer
    who = (f"{customer['name']} (account #{customer['account_number']}, {customer['tier']})"
           if customer else "An unidentified caller")
    subjects = [TOPIC_LABELS[t] for t in memory.topics if t in TOPIC_LABELS and t != "frustration"]
    subjects = list(dict.fromkeys(subjects))
    orders = [f"#{n}" for n in memory.orders]
    reason = "Called about " + (_join(subjects) if subjects else "a general question")
    if orders:
        reason += f" (order {', '.join(orders)})"
    resolution = (_sentence_case(_join(list(dict.fromkeys(memory.resolutions))))
                  if memory.resolutions else "No resolution recorded")
    items = (tuple(str(i) for i in action_items(memory)) if action_items
             else tuple(_action_item(c) for c in memory.commitments))
    scores = memory.customer_sentiments()
    if scores:
        sentiment = sentiment_label(sum(scores) / len(scores))
        start, end = sentiment_label(scores[0]), sentiment_label(scores[-1])
        trend = f" ({start} at the start, {end} at the end)" if start != end else " throughout"
    else:
        sentiment, trend = "neutral", " (no customer speech)"
    lines = [f"{who}. {reason}.", f"Resolution: {resolution}."]
    if items:
        lines.append("Action items: " + "; ".join(items) + ".")
    if memory.actions:
        lines.append("Agent actions: " + "; ".join(memory.actions) + ".")
    if memory.shown:
        used, dismissed = memory.feedback.get("used", 0), memory.feedback.get("dismissed", 0)
        lines.append(f"Assistant: {memory.shown} suggestion{'s' * (memory.shown != 1)} shown, "
                     f"{used} used, {dismissed} dismissed.")
    if memory.flags:
        lines.append("Flagged moments: " + "; ".join(
            f"{int(at // 60)}:{int(at % 60):02d}" + (f" ({note})" if note else "")
            for at, note in sorted(memory.flags)) + ".")
    lines.append(f"Customer sentiment: {sentiment}{trend}.")
    return Summary(reason=reason, resolution=resolution, action_items=items,
                   sentiment=sentiment, text=" ".join(lines))
