"""Who is calling: the rules that look the caller up from what the customer says (account
number, e-mail, phone, a name from the customer table) and from caller ID, and the cards shown
once they are known.

Identification is right or silent. Each way of finding the caller has a surety; a later,
surer mention that points at someone else corrects an earlier guess, and the panel and the
call's memory follow. What cannot identify the caller on its own (an ambiguous name, a caller
ID several customers share, the owner of a quoted order) leaves candidates, which the
customer's next words, the agent's choice or the agent's words can confirm; the agent's words
never introduce a caller of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .entities import Mentions
from .memory import CallMemory
from .outputs import ContextUpdate, Output, Source, Suggestion, first_name, money
from .sources import PolicyBook, customer_fact, lookup_fact, source
from .tools import ToolRunner

# How far ahead of the runner-up a match must score: (e-mail and the rest, names). Names need
# more: "Sarah Johnson" and "Sara Johnson" sound the same.
AMBIGUITY_MARGIN = (0.03, 0.05)
# A caller ID is the phone's, not the person's (a spouse's phone, a shared line): what the
# caller says of themselves (account, e-mail, phone number) outranks it.
SURETY = {"spoken": 1, "candidate": 2, "caller ID": 3, "account": 4, "email": 4, "phone": 4,
          "agent": 5}


class Identity:
    def __init__(self, tools: ToolRunner, policies: PolicyBook):
        self.tools = tools
        self.policies = policies

    async def identify(self, text: str, mentions: Mentions, memory: CallMemory,
                       tentative: bool = False) -> AsyncIterator[Output]:
        """Look up what the customer's turn mentions, surest kind first; a ``tentative`` turn
        (a partial) shows only sure hits. Once the caller is known, only a surer kind is
        looked up (it may correct them)."""
        # The last number said first: people correct themselves forward ("four eight two
        # three one, no wait, four eight two one three").
        lookups = ([("account", a) for a in reversed(mentions.accounts + mentions.bare_numbers)]
                   + [("email", e) for e in mentions.emails]
                   + [("phone", p) for p in mentions.phones]
                   + [("spoken", text)])
        for search_type, query in lookups:
            if SURETY[search_type] <= memory.surety:
                continue
            result = await self.tools.call("lookup_customer",
                                           {"query": query, "search_type": search_type})
            matches = result.get("matches") or []
            if not matches:
                continue
            runner_up = matches[1]["score"] if len(matches) > 1 else 0.0
            if matches[0]["score"] - runner_up >= AMBIGUITY_MARGIN[search_type == "spoken"]:
                best = matches[0]
                how, surety = f"{_KIND[search_type]} {_shown(search_type, query, best)}", \
                    SURETY[search_type]
                if search_type == "spoken" and any(c["id"] == best["id"]
                                                   for c in memory.candidates):
                    how, surety = f"name, matching {memory.candidates_reason}", SURETY["candidate"]
                async for out in self.identified(best["id"], how, lookup_fact(result), memory,
                                                 surety):
                    yield out
                return
            if tentative or memory.customer is not None:
                continue
            async for out in self.ambiguous(matches, f"several customers match "
                                            f"{_shown(search_type, query, matches[0])}",
                                            lookup_fact(result), memory):
                yield out
            return

    async def confirm_by_agent(self, text: str, mentions: Mentions,
                               memory: CallMemory) -> AsyncIterator[Output]:
        """The agent read back one of the candidates (a name, an account number): that one is
        the caller. Anyone else the agent names is ignored."""
        if memory.customer is not None or not memory.candidates:
            return
        ids = {c["id"] for c in memory.candidates}
        named = set()
        for search_type, query in ([("account", a) for a in mentions.accounts
                                    + mentions.bare_numbers] + [("spoken", text)]):
            result = await self.tools.call("lookup_customer",
                                           {"query": query, "search_type": search_type})
            named |= {m["id"] for m in result.get("matches") or ()} & ids
        if len(named) == 1:
            confirmed = source("transcript", "the agent confirmed this candidate with the caller",
                               "agent said")
            async for out in self.identified(named.pop(), "the agent's confirmation", confirmed,
                                             memory, SURETY["candidate"]):
                yield out

    async def caller_id(self, number: str, memory: CallMemory) -> AsyncIterator[Output]:
        """The caller's number, known as the call starts: one match is the caller, shown
        before anyone speaks; none or several say so, and what is said identifies them."""
        if memory.customer is not None:
            return
        result = await self.tools.call("lookup_customer", {"query": number, "search_type": "phone"})
        # A spoken number may be partial, so the tool matches its last digits; a caller ID
        # is whole: a number on file that agrees with all of it is the caller.
        matches = result.get("matches") or []
        whole = [m for m in matches if _same_number(m.get("phone") or "", number)]
        if len(whole) == 1:
            async for out in self.identified(whole[0]["id"], f"caller ID {number}",
                                             lookup_fact(result), memory, SURETY["caller ID"]):
                yield out
            return
        reason = (f"caller ID {number} matches {len(whole or matches)} customers"
                  if whole or matches else f"caller ID {number} matches no customer")
        async for out in self.ambiguous(whole or matches, reason, lookup_fact(result), memory):
            yield out

    async def order_owner(self, order: dict[str, Any], memory: CallMemory) -> AsyncIterator[Output]:
        """An order quoted before the caller is known: its owner is only a candidate (it may be
        a relative's order, or a stranger's number), so nothing of the order is shown yet."""
        owner = {"id": order["customer_id"], "name": order["customer_name"],
                 "account_number": order.get("customer_account"),
                 "tier": order.get("customer_tier")}
        if any(c["id"] == owner["id"] for c in memory.candidates):
            return
        memory.candidates = [owner]
        memory.candidates_reason = f"order #{order['order_number']}"
        yield ContextUpdate(None, (owner,), f"order #{order['order_number']} is "
                            f"{owner['name']}'s: verify the caller")
        yield Suggestion("info", "normal", "verify_identity",
                         f"Order #{order['order_number']} is on {owner['name']}'s account. "
                         "Before discussing it, confirm the caller is the account holder: "
                         + await self.policies.sentence("POL-ID", "account number"),
                         key=f"owner:{order['order_number']}",
                         sources=(source("tool", f"order #{order['order_number']} belongs to "
                                         f"account #{owner['account_number']}",
                                         "get_order_status"),
                                  *await self.policies.cite("POL-ID", "order number")))

    async def ambiguous(self, matches: list[dict[str, Any]], reason: str, found: Source,
                        memory: CallMemory) -> AsyncIterator[Output]:
        if memory.customer is not None:
            return
        memory.candidates = list(matches)
        memory.candidates_reason = reason
        yield ContextUpdate(None, tuple(matches), reason)
        names = ", ".join(f"{m['name']} (#{m['account_number']})" for m in matches[:3])
        yield Suggestion("info", "normal", "verify_identity",
                         f"{reason[0].upper()}{reason[1:]}"
                         + (f": {names}" if names else "") + ". Ask for the account number or "
                         "the e-mail on file.", key=f"ambiguous:{reason}", sources=(found,))

    async def pick(self, customer_id: int, memory: CallMemory) -> AsyncIterator[Output]:
        """The agent chose the caller (say among ambiguous candidates): that one is shown."""
        chosen = source("agent", "the agent picked this customer", "agent's choice")
        async for out in self.identified(customer_id, "the agent's choice", chosen, memory,
                                         SURETY["agent"]):
            yield out

    async def identified(self, customer_id: int, how: str, found: Source, memory: CallMemory,
                         surety: int) -> AsyncIterator[Output]:
        """Show customer ``customer_id``, found by ``how`` with ``surety``; ``found`` is the
        fact that found them. A different customer than the one shown corrects it."""
        before = memory.customer
        if before is not None and before["id"] == customer_id:
            memory.surety = max(memory.surety, surety)
            return
        context = await self.tools.customer_context(customer_id)
        if context is None:
            return
        customer = context["customer"]
        memory.customer, memory.context, memory.surety = customer, context, surety
        memory.candidates = []
        record = customer_fact(context)
        if before is not None:
            # Forget what was shown as the wrong person's: their orders are not this caller's.
            memory.orders = {n: o for n, o in memory.orders.items()
                             if o["customer_id"] == customer_id}
            yield ContextUpdate(context, (), f"corrected by {how}")
            yield Suggestion("alert", "high", "identified",
                             f"Correction: the caller is {customer['name']} (account "
                             f"#{customer['account_number']}), not {before['name']}: "
                             f"identified by {how}.", key=f"identified:{customer_id}",
                             sources=(found, record))
        else:
            yield ContextUpdate(context, (), f"identified by {how}")
            tickets = [t for t in context["tickets"] if t["status"] in ("open", "pending")]
            open_tickets = (f", {len(tickets)} open ticket{'s' * (len(tickets) != 1)}"
                            if tickets else "")
            yield Suggestion("info", "normal", "identified",
                             f"Customer identified: {customer['name']}, account "
                             f"#{customer['account_number']}, {customer['tier']} "
                             f"tier{open_tickets}.", key=f"identified:{customer_id}",
                             sources=(found, record))
        if surety < SURETY["caller ID"]:
            yield Suggestion("info", "normal", "verify_identity",
                             f"Identified by {how} only: "
                             + await self.policies.sentence("POL-ID", "verify identity"),
                             key="verify", sources=(found, *await self.policies.cite("POL-ID")))
        if customer["tier"] in ("gold", "platinum"):
            yield Suggestion("alert", "high", "tier",
                             f"{first_name(customer)} is a {customer['tier'].title()} customer "
                             f"(lifetime value {money(customer['lifetime_value'])}). "
                             + await self.policies.sentence("POL-ESC", "Gold and Platinum"),
                             key=f"tier:{customer_id}",
                             sources=(record,
                                      *await self.policies.cite("POL-ESC", "Gold and Platinum")))


_KIND = {"spoken": "name", "account": "account", "email": "e-mail", "phone": "phone"}


def _shown(search_type: str, query: str, match: dict[str, Any]) -> str:
    """How a lookup is named on a card: the name heard rather than the whole sentence."""
    if search_type == "spoken":
        return f"“{match['name']}”"
    return repr(query)


def _same_number(on_file: str, caller: str) -> bool:
    """True when two phone numbers agree on every digit both have (a caller ID may carry a
    country code the record leaves out, or the other way round)."""
    a, b = ("".join(ch for ch in n if ch.isdigit()) for n in (on_file, caller))
    return len(a) >= 7 and len(b) >= 7 and (a.endswith(b) or b.endswith(a))
