"""The default engine: deterministic rules over the same tools a model would call.

No instruct model small enough ships offline, so suggestions come from what the transcript
mentions and what DuckDB answers. Each rule fires once per subject (a customer, an order, a
topic), and every suggestion quotes real rows, never invented figures.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from ..events import TranscriptFinal
from .entities import Mentions, find_mentions
from .identity import Identity
from .memory import CallMemory
from .outputs import ContextUpdate, Output, Suggestion, day_phrase, first_name, money
from .redact import has_card_number
from .sources import (PolicyBook, bill_fact, order_fact, quote, recommendation_fact,
                      return_facts, source, tool_sources)
from .tools import ToolRunner

# Suggestion and ContextUpdate are imported from here by extensions and notebooks.
__all__ = ["ContextUpdate", "Output", "RulesEngine", "Suggestion"]


class RulesEngine:
    """``extra_rules`` (callkit/extensions.py) run after the built-in rules on every final.

    Every suggestion carries ``sources``: the rows, policy sentences and words it was built
    from, worded by callkit/assistant/sources.py from what the rule itself read."""

    def __init__(self, tools: ToolRunner, today: dt.date | None = None,
                 extra_rules: Sequence[Callable[..., Any]] = ()):
        self.tools = tools
        self.today = today or dt.date.today()
        self.extra_rules = tuple(extra_rules)
        self.policies = PolicyBook(tools)
        self.identity = Identity(tools, self.policies)

    async def on_final(self, final: TranscriptFinal, memory: CallMemory) -> AsyncIterator[Output]:
        async for out in self._built_in(final, memory):
            yield out
        for rule in self.extra_rules:
            proposal = rule(final, memory)
            if inspect.isawaitable(proposal):
                proposal = await proposal
            if proposal is not None:
                if not isinstance(proposal, Suggestion):
                    raise TypeError(f"rule {getattr(rule, '__name__', rule)!r} returned "
                                    f"{type(proposal).__name__}; return a Suggestion or None")
                yield proposal

    async def _built_in(self, final: TranscriptFinal,
                        memory: CallMemory) -> AsyncIterator[Output]:
        mentions = find_mentions(final.text)
        # Only the caller's words (and caller ID) say who is calling: an agent who gives their
        # own name, or reads a name off another screen, must not become the caller.
        if final.leg == "customer":
            async for out in self.identity.identify(mentions, memory):
                yield out
        for number in mentions.orders:
            async for out in self._order(number, memory, explicit=True):
                yield out
        for number in mentions.bare_numbers:
            async for out in self._order(number, memory, explicit=False):
                yield out
        if final.leg == "agent":
            async for out in self._agent_turn(final.text, mentions, memory):
                yield out
            return
        for topic in sorted(mentions.topics):
            memory.note_topic(topic)
        turn_sentiment = memory.turns[-1].sentiment if memory.turns else 0.0
        upset = turn_sentiment <= -0.5
        if mentions.frustrated or upset:
            memory.note_topic("frustration")
            if "frustration" not in memory.said:
                memory.said.add("frustration")
                # The score is cited only when it is what tripped the rule (words like
                # "frustrated" can come with a polite, positive-scoring sentence).
                yield Suggestion("suggestion", "high", "frustration",
                                 "The customer sounds frustrated: acknowledge it, apologize "
                                 "once, and offer escalation to a supervisor if this is not "
                                 "resolved on this call.",
                                 sources=(quote(final.leg, final.text,
                                                turn_sentiment if upset else None),
                                          *await self.policies.cite("POL-ESC", "frustrated")))
        if "billing" in mentions.topics:
            async for out in self._billing(memory):
                yield out
        if "refund" in mentions.topics:
            async for out in self._returns(memory):
                yield out
        recent = memory.customer_sentiments()[-3:]
        sliding = len(recent) == 3 and sum(recent) / 3 <= -0.3
        cancelling = "cancel" in mentions.topics
        if (cancelling or sliding) and "cancel" not in memory.said:
            memory.said.add("cancel")
            why = quote(final.leg, final.text) if cancelling else source(
                "transcript", f"the customer's last 3 turns averaged {sum(recent) / 3:+.2f}",
                "sentiment trend")
            yield Suggestion("alert", "high", "churn",
                             "Churn risk: the customer "
                             + ("mentioned cancelling" if cancelling
                                else "has sounded negative for several turns")
                             + ". Ask for the reason and offer the retention discount (20% for "
                             "three months) before processing anything.", key="churn",
                             sources=(why, *await self.policies.cite("POL-RETAIN", "retention")))
        # Upsell once the caller has been helped and sounds pleased, not while they explain.
        if (turn_sentiment >= 0.4 and memory.resolutions and memory.customer
                and len(memory.customer_sentiments()) >= 3 and not final.text.rstrip().endswith("?")):
            async for out in self._upsell(memory):
                yield out

    async def on_partial(self, text: str, previous: str, memory: CallMemory,
                         leg: str = "customer") -> AsyncIterator[Output]:
        """Look the caller up while they are still speaking.

        A partial is a guess that the next one may revise ("order 788" → "order 78900" →
        "78901"), so only what the previous partial of the same turn also heard is looked up,
        and only sure hits are shown: a miss or an ambiguous name waits for the final.
        """
        now, before = find_mentions(text), find_mentions(previous)
        kinds = ("names", "orders", "accounts", "bare_numbers", "emails", "phones")
        stable = Mentions(**{kind: tuple(v for v in getattr(now, kind)
                                         if v in getattr(before, kind)) for kind in kinds})
        if leg == "customer":  # the agent's words never say who the caller is
            async for out in self.identity.identify(stable, memory, tentative=True):
                yield out
        for number in stable.orders:
            async for out in self._order(number, memory, explicit=True, tentative=True):
                yield out

    async def caller_id(self, number: str, memory: CallMemory) -> AsyncIterator[Output]:
        """The caller ID, as the call starts (identity.py)."""
        async for out in self.identity.caller_id(number, memory):
            yield out

    async def pick(self, customer_id: int, memory: CallMemory) -> AsyncIterator[Output]:
        """The agent chose the caller (say among ambiguous candidates): that one is shown."""
        async for out in self.identity.pick(customer_id, memory):
            yield out

    async def _agent_turn(self, text: str, mentions: Mentions,
                          memory: CallMemory) -> AsyncIterator[Output]:
        """Check what the agent said against policy; note commitments."""
        if has_card_number(text) and "pci" not in memory.said:
            memory.said.add("pci")
            yield Suggestion("alert", "high", "compliance",
                             "Never read out a full card number: confirm only the last four "
                             "digits (payment card policy).", key="pci",
                             sources=(quote("agent", text),
                                      *await self.policies.cite("POL-PCI")))
        new = [c for c in mentions.commitments if c not in memory.commitments]
        memory.commitments.extend(new)
        if new and "callback-log" not in memory.said and any(
                re.search(r"\b(call|get back|follow up)\b", c, re.I) for c in new):
            memory.said.add("callback-log")
            yield Suggestion("info", "normal", "compliance",
                             "Log the promised follow-up as an action item with a date "
                             "(callbacks are due within one business day).", key="callback",
                             sources=(quote("agent", text),
                                      *await self.policies.cite("POL-CALLBACK")))
        order = memory.last_order
        if order and re.search(r"\brefund\b|money back", text, re.I) \
                and not re.search(r"\bno refund|\bnot? (?:get|give) (?:a|you a) refund", text, re.I):
            result = await self.tools.call("check_return_policy", {
                "product_id": order["product_id"], "order_id": order["order_number"]})
            status = result.get("order") or {}
            if status.get("returnable") is False and "late-refund" not in memory.said:
                memory.said.add("late-refund")
                yield Suggestion("alert", "high", "compliance",
                                 f"Policy: order #{order['order_number']} is past its return "
                                 f"window (ended {status['return_by']}); a refund needs a "
                                 "supervisor's approval before it is promised.", key="late-refund",
                                 sources=(quote("agent", text), *return_facts(result),
                                          *await self.policies.cite("POL-RET", "supervisor")))

    async def _upsell(self, memory: CallMemory) -> AsyncIterator[Output]:
        if "upsell" in memory.said:
            return
        memory.said.add("upsell")
        product = await self.tools.recommend_product(memory.customer["id"])
        if product is None:
            return
        yield Suggestion("suggestion", "low", "upsell",
                         f"Upsell opportunity: {first_name(memory.customer)} may like the "
                         f"{product['name']} ({money(product['price'])}), which goes with their "
                         "last purchase.", key="upsell", confidence=0.6,
                         sources=(recommendation_fact(product),))

    async def _order(self, number: str, memory: CallMemory, explicit: bool,
                     tentative: bool = False, misheard: str = "") -> AsyncIterator[Output]:
        """Look an order up; a number said without "order" may be an account instead.
        A ``tentative`` number (from a partial) only counts if it is an order on file;
        ``misheard`` is the number actually heard when this one was corrected from it."""
        if f"order:{number}" in memory.said:
            return
        result = await self.tools.call("get_order_status", {"order_id": number})
        order = result.get("order")
        if order is None and tentative:
            return
        if order is None and (near := self._near_order(number, memory)):
            # Speech recognition slips a digit now and then ("788901"); a one-digit miss
            # of one of this customer's own orders is that order.
            memory.said.add(f"order:{number}")
            async for out in self._order(near, memory, explicit=True, misheard=number):
                yield out
            return
        if order is None:
            memory.said.add(f"order:{number}")
            if explicit and result.get("error", {}).get("code") == "not_found":
                yield Suggestion("info", "normal", "order",
                                 f"No order #{number} on file. Ask the customer to confirm "
                                 "the number (it may have been misheard).",
                                 sources=tool_sources("get_order_status", result))
            return
        memory.said.add(f"order:{number}")
        memory.orders[number] = order
        memory.note_topic("order")
        if memory.customer is None:
            owner = source("tool", f"order #{number} is {order['customer_name']}'s",
                           "get_order_status")
            async for out in self.identity.identified(order["customer_id"], f"order #{number}",
                                                      owner, memory):
                yield out
        elif memory.context is not None and order["customer_id"] == memory.customer["id"]:
            # A new fact: the order under discussion goes to the top of the panel.
            summary = {k: order[k] for k in ("order_number", "product_id", "product_name",
                                             "amount", "status", "order_date", "carrier", "eta")}
            orders = memory.context["orders"]
            if not orders or orders[0]["order_number"] != number:
                others = [o for o in orders if o["order_number"] != number]
                memory.context = {**memory.context, "orders": [summary, *others]}
                yield ContextUpdate(memory.context, (), f"order #{number} mentioned")
        cited = [order_fact(order)]
        if misheard:
            cited.append(source("transcript", f"heard “{misheard}”: one digit off this "
                                f"customer's order #{number}", "order number"))
        # The text's promise beyond the row: shipping times, or a trace for a lost parcel.
        if promise := {"processing": "ship within", "delivered": "traced"}.get(order["status"]):
            cited += await self.policies.cite("POL-SHIP", promise)
        yield Suggestion("suggestion", "normal", "order", self._order_text(order, memory),
                         key=f"order:{number}", sources=tuple(cited))

    @staticmethod
    def _near_order(number: str, memory: CallMemory) -> str | None:
        own = [o["order_number"] for o in (memory.context or {}).get("orders", ())]
        near = [n for n in own if Levenshtein.distance(n, number) <= 1]
        return near[0] if len(near) == 1 else None

    def _order_text(self, order: dict[str, Any], memory: CallMemory) -> str:
        who = first_name(memory.customer) + "'s"
        head = f"I found {who} order #{order['order_number']} ({order['product_name']})."
        status = order["status"]
        if status == "shipped":
            eta = dt.date.fromisoformat(order["eta"]) if order["eta"] else None
            eta_text = f" ETA: {eta:%A, %b} {eta.day}." if eta else ""
            memory.resolutions.append(
                f"order #{order['order_number']} shipped via {order['carrier']}"
                + (f", ETA {eta:%b} {eta.day}" if eta else ""))
            return (f"{head} It shipped {day_phrase(order['shipped_at'], self.today)} via "
                    f"{order['carrier']}, tracking {order['tracking_number']}.{eta_text}")
        if status == "delivered":
            memory.resolutions.append(f"order #{order['order_number']} was delivered")
            return (f"{head} It was delivered {day_phrase(order['delivered_at'], self.today)} "
                    f"by {order['carrier']}. If it is missing, open a trace with the carrier.")
        if status == "processing":
            return (f"{head} It was placed {day_phrase(order['order_date'], self.today)} and has "
                    "not shipped yet; orders ship within 2 business days.")
        return f"{head} Its status is {status}."

    async def _billing(self, memory: CallMemory) -> AsyncIterator[Output]:
        if memory.customer is None or "billing" in memory.said:
            return
        bill = await self.tools.latest_bill(memory.customer["id"])
        if bill is None:
            return
        memory.said.add("billing")
        lines = " + ".join(f"{money(line['amount'])} {line['description']}"
                           for line in bill["lines"])
        billed_on = dt.date.fromisoformat(bill["billed_on"])
        usual = ""
        if bill["previous_total"] is not None and bill["previous_total"] != bill["total"]:
            usual = f" (the bill before was {money(bill['previous_total'])})"
        memory.resolutions.append(f"explained the {money(bill['total'])} bill")
        yield Suggestion("suggestion", "normal", "billing",
                         f"{first_name(memory.customer)} was billed {money(bill['total'])} on "
                         f"{billed_on:%b} {billed_on.day}: {lines}{usual}. Walk through each "
                         "charge; one overage credit per year is allowed.",
                         sources=(bill_fact(bill),
                                  *await self.policies.cite("POL-BILL", "overage credit")))

    async def _returns(self, memory: CallMemory) -> AsyncIterator[Output]:
        order = memory.last_order
        if order is None and memory.context and memory.context["orders"]:
            order = memory.context["orders"][0]
        if order is None or f"return:{order['order_number']}" in memory.said:
            return
        memory.said.add(f"return:{order['order_number']}")
        result = await self.tools.call("check_return_policy", {
            "product_id": order["product_id"], "order_id": order["order_number"]})
        product = result.get("product")
        if product is None:
            return
        days = product["return_window_days"]
        status = result.get("order", {})
        cited = list(return_facts(result))
        if status.get("return_by"):
            window = (f"Order #{order['order_number']} can be returned until "
                      f"{status['return_by']}." if status["returnable"] else
                      f"Order #{order['order_number']} is past its return window "
                      f"(ended {status['return_by']}): do not promise a refund without a "
                      "supervisor.")
            if not status["returnable"]:  # the supervisor's part comes from the policy
                cited += await self.policies.cite("POL-RET", "supervisor")
        else:
            window = (f"Order #{order['order_number']} has not been delivered yet, so the "
                      f"{days} days start on delivery.")
        memory.resolutions.append(f"return policy for the {product['name']} explained")
        yield Suggestion("suggestion", "normal", "refund",
                         f"Return policy for the {product['name']}: {product['return_policy']} "
                         f"{window}", key=f"refund:{order['order_number']}",
                         sources=tuple(cited))
