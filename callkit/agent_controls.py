"""What the agent does on a call besides talking: feedback on suggestions, quick actions,
naming the caller, flagging a moment. Each is one event on the call's bus, so the recorder,
the assistant and every view see it the same way.

A part of :class:`callkit.call.Call` (kept apart so call.py stays the wiring of stages and
legs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .events import (QUICK_ACTIONS, AgentAction, CustomerPicked, LatencyMark, MomentFlagged,
                     SuggestionFeedback)
from .metrics import turn_of_suggestion

if TYPE_CHECKING:
    from .assistant.stage import Assistant
    from .bus import Bus
    from .journal import Journal


class AgentControls:
    """Needs the call's ``call_id``, ``bus``, ``journal``, ``assistant`` and ``clock()``."""

    call_id: str
    bus: "Bus"
    journal: "Journal"
    assistant: "Assistant"
    clock: "Callable[[], float]"

    def feedback(self, suggestion_id: str, action: str) -> None:
        """The agent used or dismissed a suggestion."""
        if action not in ("used", "dismissed"):
            raise ValueError("action must be 'used' or 'dismissed'")
        self.bus.publish(SuggestionFeedback(call_id=self.call_id, suggestion_id=suggestion_id,
                                            action=action))

    def suggestion_shown(self, suggestion_id: str) -> None:
        """A view painted the first words of a suggestion: the turn it answers gets its
        ``shown`` latency mark, timed when the report arrives (so it includes the trip back;
        the first view to report counts)."""
        turn = turn_of_suggestion(self.journal.since(0), suggestion_id)
        if turn is not None:
            self.bus.publish(LatencyMark(call_id=self.call_id, leg=turn[0], turn=turn[1],
                                         name="shown"))

    def act(self, action: str, **payload) -> None:
        """The agent took a quick action (``QUICK_ACTIONS``: discount_10, waive_fee, escalate,
        callback) or inserted a quick response ("template"); stored, and in the summary."""
        if action not in QUICK_ACTIONS and action != "template":
            raise ValueError(f"unknown action {action!r}: use one of "
                             f"{', '.join(QUICK_ACTIONS)} or 'template'")
        customer = self.assistant.memory.customer
        if customer is not None:
            payload.setdefault("customer_id", customer["id"])
        self.bus.publish(AgentAction(call_id=self.call_id, action=action, at_s=self.clock(),
                                     payload=payload))

    def pick_customer(self, customer_id: int) -> None:
        """The agent says who the caller is (one of the candidates, or a correction)."""
        self.bus.publish(CustomerPicked(call_id=self.call_id, customer_id=int(customer_id)))

    def flag(self, at_s: float, note: str = "") -> None:
        """Flag the moment at call time ``at_s`` (e.g. a transcript line) to come back to."""
        if not 0 <= at_s < float("inf"):
            raise ValueError(f"at_s={at_s} is not a time of this call")
        self.bus.publish(MomentFlagged(call_id=self.call_id, at_s=float(at_s), note=note[:500]))
