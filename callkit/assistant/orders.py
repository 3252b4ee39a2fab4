"""Orders the caller quotes: looked up, and shown only as the caller's own.

An order is evidence about whose call this is, never proof: a caller may quote a relative's
order, or a misheard number may be a stranger's. So an order quoted before the caller is
known only makes its owner a candidate (identity.py) and waits; one that belongs to another
account than the identified caller's raises a warning with no details of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from rapidfuzz.distance import Levenshtein

from .identity import Identity
from .memory import CallMemory
from .outputs import ContextUpdate, Output, Suggestion, day_phrase, first_name
from .sources import PolicyBook, order_fact, source, tool_sources
from .tools import ToolRunner

PANEL_COLUMNS = ("order_number", "product_id", "product_name", "amount", "status", "order_date",
                 "carrier", "eta")


class Orders:
    def __init__(self, tools: ToolRunner, policies: PolicyBook, identity: Identity,
                 today: dt.date):
        self.tools, self.policies, self.identity, self.today = tools, policies, identity, today

    async def quoted(self, number: str, memory: CallMemory, explicit: bool,
                     tentative: bool = False, misheard: str = "") -> AsyncIterator[Output]:
        """A number the caller said, after "order" (``explicit``) or alone (then it may be an
        account number instead). A ``tentative`` number (from a partial) only counts if it is
        an order on file; ``misheard`` is the number heard when this one was corrected."""
        if f"order:{number}" in memory.said:
            return
        result = await self.tools.call("get_order_status", {"order_id": number})
        order = result.get("order")
        if order is None and tentative:
            return
        if order is None and (near := _near_order(number, memory)):
            # Speech recognition slips a digit now and then ("788901"); a one-digit miss
            # of one of this customer's own orders is that order.
            memory.said.add(f"order:{number}")
            async for out in self.quoted(near, memory, explicit=True, misheard=number):
                yield out
            return
        if order is None:
            memory.said.add(f"order:{number}")
            if explicit and result.get("error", {}).get("code") == "not_found":
                yield Suggestion("info", "normal", "order_status",
                                 f"No order #{number} on file. Ask the customer to confirm "
                                 "the number (it may have been misheard).",
                                 sources=tool_sources("get_order_status", result))
            return
        if memory.customer is None:
            if number not in memory.pending_orders:
                memory.pending_orders.append(number)
            async for out in self.identity.order_owner(order, memory):
                yield out
            return
        memory.said.add(f"order:{number}")
        if order["customer_id"] != memory.customer["id"]:
            yield Suggestion("alert", "high", "verify_identity",
                             f"Order #{number} belongs to another account — verify before "
                             "discussing it (it is not on "
                             f"{first_name(memory.customer)}'s account).",
                             key=f"owner:{number}",
                             sources=(source("tool", f"order #{number} is on another account",
                                             "get_order_status"),
                                      *await self.policies.cite("POL-ID", "order number")))
            return
        async for out in self._show(order, memory, misheard):
            yield out

    async def after_identification(self, memory: CallMemory) -> AsyncIterator[Output]:
        """Orders quoted before the caller was known, now that they are."""
        pending, memory.pending_orders = memory.pending_orders, []
        for number in pending:
            async for out in self.quoted(number, memory, explicit=True):
                yield out

    async def _show(self, order: dict[str, Any], memory: CallMemory,
                    misheard: str) -> AsyncIterator[Output]:
        number = order["order_number"]
        memory.orders[number] = order
        memory.note_topic("order")
        if memory.context is not None:
            # A new fact: the order under discussion goes to the top of the panel.
            orders = memory.context["orders"]
            if not orders or orders[0]["order_number"] != number:
                others = [o for o in orders if o["order_number"] != number]
                summary = {k: order[k] for k in PANEL_COLUMNS}
                memory.context = {**memory.context, "orders": [summary, *others]}
                yield ContextUpdate(memory.context, (), f"order #{number} mentioned")
        cited = [order_fact(order)]
        if misheard:
            cited.append(source("transcript", f"heard “{misheard}”: one digit off this "
                                f"customer's order #{number}", "order number"))
        text = self._text(order, memory)
        # The knowledge base's promise beyond the row: shipping times, a trace when the
        # caller says a delivered parcel never came, how long a refund takes once returned.
        policy = {"processing": ("POL-SHIP", "ship within"),
                  "returned": ("FAQ-REFUND-TIME", "")}.get(order["status"])
        if order["status"] == "delivered" and "shipping" in memory.topics:
            policy = ("POL-SHIP", "marked delivered")
        if policy:
            text += " " + await self.policies.sentence(*policy)
            cited += await self.policies.cite(*policy)
        yield Suggestion("suggestion", "normal", "order_status", text.strip(),
                         key=f"order:{number}", sources=tuple(cited))

    def _text(self, order: dict[str, Any], memory: CallMemory) -> str:
        who = first_name(memory.customer) + "'s"
        head = f"I found {who} order #{order['order_number']} ({order['product_name']})."
        status = order["status"]
        if status == "shipped":
            eta = dt.date.fromisoformat(order["eta"]) if order["eta"] else None
            eta_text = f" ETA: {eta:%A, %b} {eta.day}." if eta else ""
            memory.resolutions.append(
                f"order #{order['order_number']} shipped via {order['carrier']}"
                + (f", ETA {eta:%b} {eta.day}" if eta else ""))
            shipped = (f" {day_phrase(order['shipped_at'], self.today)}"
                       if order["shipped_at"] else "")
            tracking = f", tracking {order['tracking_number']}" if order["tracking_number"] else ""
            return f"{head} It shipped{shipped} via {order['carrier']}{tracking}.{eta_text}"
        if status == "delivered":
            memory.resolutions.append(f"order #{order['order_number']} was delivered")
            when = (f" {day_phrase(order['delivered_at'], self.today)}"
                    if order["delivered_at"] else "")
            by = f" by {order['carrier']}" if order["carrier"] else ""
            return f"{head} It was delivered{when}{by}."
        if status == "processing":
            return (f"{head} It was placed {day_phrase(order['order_date'], self.today)} and has "
                    "not shipped yet.")
        if status == "returned":
            return f"{head} It was returned."
        return f"{head} Its status is {status}."


def _near_order(number: str, memory: CallMemory) -> str | None:
    own = [o["order_number"] for o in (memory.context or {}).get("orders", ())]
    near = [n for n in own if Levenshtein.distance(n, number) <= 1]
    return near[0] if len(near) == 1 else None
