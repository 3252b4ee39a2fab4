"""Who is calling: the rules that look the caller up from what is said (account number,
e-mail, phone, name) or from an order of theirs, and the cards shown once they are known.

The rules engine (rules.py) owns one ``Identity`` and hands it each turn's mentions; a way of
finding the caller (say, caller ID) belongs here, next to the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from .entities import Mentions
from .memory import CallMemory
from .outputs import ContextUpdate, Output, Source, Suggestion, first_name, money
from .sources import PolicyBook, customer_fact, lookup_fact, source
from .tools import ToolRunner

AMBIGUITY_MARGIN = 0.03
CONFIDENT_NAME = 0.93


class Identity:
    def __init__(self, tools: ToolRunner, policies: PolicyBook):
        self.tools = tools
        self.policies = policies

    async def identify(self, mentions: Mentions, memory: CallMemory,
                       tentative: bool = False) -> AsyncIterator[Output]:
        """Look up what the turn mentions, surest kind first; a ``tentative`` turn (a
        partial) shows only sure hits."""
        if memory.customer is not None:
            return
        lookups = ([("account", a) for a in mentions.accounts + mentions.bare_numbers]
                   + [("email", e) for e in mentions.emails]
                   + [("phone", p) for p in mentions.phones]
                   + [("name", n) for n in mentions.names])
        for search_type, query in lookups:
            result = await self.tools.call("lookup_customer",
                                           {"query": query, "search_type": search_type})
            matches = result.get("matches") or []
            if not matches:
                continue
            best = matches[0]
            runner_up = matches[1]["score"] if len(matches) > 1 else 0.0
            sure = search_type != "name" or (best["score"] >= CONFIDENT_NAME
                                             and best["score"] - runner_up >= AMBIGUITY_MARGIN)
            if sure:
                async for out in self.identified(best["id"], f"{search_type} {query!r}",
                                                 lookup_fact(result), memory):
                    yield out
                return
            if tentative:
                continue
            yield ContextUpdate(None, tuple(matches), f"several customers match {query!r}")
            names = ", ".join(f"{m['name']} (#{m['account_number']})" for m in matches[:3])
            yield Suggestion("info", "normal", "identity",
                             f"Several customers match \"{query}\": {names}. Ask for the "
                             "account number or the e-mail on file.",
                             sources=(lookup_fact(result),))
            return

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
            matches = whole
        if len(matches) == 1:
            async for out in self.identified(matches[0]["id"], f"caller ID {number}",
                                             lookup_fact(result), memory):
                yield out
            return
        reason = (f"caller ID {number} matches {len(matches)} customers" if matches
                  else f"caller ID {number} matches no customer")
        yield ContextUpdate(None, tuple(matches), reason)
        yield Suggestion("info", "normal", "identity",
                         f"{reason[0].upper()}{reason[1:]}: ask for the caller's name and "
                         "account number or e-mail.", key="caller-id",
                         sources=(lookup_fact(result),))

    async def pick(self, customer_id: int, memory: CallMemory) -> AsyncIterator[Output]:
        """The agent chose the caller (say among ambiguous candidates): that one is shown."""
        chosen = source("agent", "the agent picked this customer", "agent's choice")
        async for out in self.identified(customer_id, "the agent's choice", chosen, memory):
            yield out

    async def identified(self, customer_id: int, how: str, found: Source,
                         memory: CallMemory) -> AsyncIterator[Output]:
        """Show customer ``customer_id``, found by ``how``; ``found`` is the fact that
        found them (a lookup result, an order of theirs, the agent's choice)."""
        context = await self.tools.customer_context(customer_id)
        if context is None:
            return
        customer = context["customer"]
        memory.customer, memory.context = customer, context
        yield ContextUpdate(context, (), f"identified by {how}")
        record = customer_fact(context)
        tickets = [t for t in context["tickets"] if t["status"] in ("open", "pending")]
        open_tickets = f", {len(tickets)} open ticket{'s' * (len(tickets) != 1)}" if tickets else ""
        yield Suggestion("info", "normal", "identity",
                         f"Customer identified: {customer['name']}, account "
                         f"#{customer['account_number']}, {customer['tier']} tier{open_tickets}.",
                         sources=(found, record))
        if how.startswith("name"):
            yield Suggestion("info", "normal", "compliance",
                             "Verify identity before discussing orders or bills: ask for the "
                             "account number or the e-mail on file plus the billing zip code.",
                             key="verify", sources=(found, *await self.policies.cite("POL-ID")))
        if customer["tier"] in ("gold", "platinum"):
            yield Suggestion("alert", "high", "tier",
                             f"{first_name(customer)} is a {customer['tier'].title()} customer "
                             f"(lifetime value {money(customer['lifetime_value'])}): prioritize "
                             "satisfaction; senior-agent routing applies.",
                             sources=(record,
                                      *await self.policies.cite("POL-ESC", "Gold and Platinum")))


def _same_number(on_file: str, caller: str) -> bool:
    """True when two phone numbers agree on every digit both have (a caller ID may carry a
    country code the record leaves out, or the other way round)."""
    a, b = ("".join(ch for ch in n if ch.isdigit()) for n in (on_file, caller))
    return len(a) >= 7 and len(b) >= 7 and (a.endswith(b) or b.endswith(a))
