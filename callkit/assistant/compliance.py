"""What the agent says, checked against the knowledge base's policies: card numbers read out
or asked for, promises that need logging, refunds promised past the return window.

Each alert states the breach from the call and the rule in the policy's own words (the
``policies`` table); a policy missing from the database leaves only the breach.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

from .entities import Mentions
from .memory import CallMemory
from .outputs import Output, Suggestion
from .redact import has_card_number
from .sources import PolicyBook, quote, return_facts, sentences, source
from .tools import ToolRunner

ASKS_FOR_CARD = re.compile(
    r"\b(?:full|whole|entire|complete|long)\s+(?:credit\s+|debit\s+)?card\s+number|"
    r"\b(?:read|give|tell)\s+me\s+(?:the|your)\s+(?:credit\s+|debit\s+)?card(?:\s+number)?\b|"
    r"\ball\s+(?:sixteen|16)\s+digits", re.I)
# A promise to get back to the caller (sending a label by e-mail is an action item, not a
# follow-up the callback policy is about).
FOLLOW_UP = re.compile(r"\b(call|ring|get back|follow up|reach out|update you|let you know)\b",
                       re.I)
PROMISES_REFUND = re.compile(r"\brefund\b|money back|\bfull\b[^.?!]{0,30}\bback\b", re.I)
# The caller said the item was opened or used: a fee for opened items applies.
USED = re.compile(r"\b(?:opened|open(?:ed)? the box|used it|ran it|tried it|set it up|"
                  r"worn|wore)\b", re.I)
# "No problem, I'll refund it" is a promise: these phrases negate nothing.
NOT_NEGATIONS = re.compile(r"\b(?:no problem|not a problem|no worries|no bother)\b", re.I)
DENIES_REFUND = re.compile(r"\b(?:no|not|can't|cannot|won't|unable to)\b[^.?!]{0,30}"
                           r"\b(?:refund|money back)|\brefund(?:'s|\s+is)?\s+not\b|"
                           r"\brefund\b[^.?!]{0,25}\b(?:can't|cannot|won't|isn't possible|"
                           r"not possible)\b", re.I)
NO_FEE = re.compile(r"\bno\s+(?:restocking\s+)?fee|\bwaive\s+the\s+(?:restocking\s+)?fee|"
                    r"\bwon't\s+(?:be\s+)?charge", re.I)
# The money arriving sooner than refunds take ("you'll have it tomorrow", "on your card by
# tonight"); issuing the refund today is no such promise.
TOO_SOON = re.compile(r"\b(?:have|see|get|receive|show up|hit|land|be on|be back)\b[^.?!]{0,30}"
                      r"\b(?:today|tonight|tomorrow|right away|immediately|instantly)\b|"
                      r"\bby (?:today|tonight|tomorrow)\b|\bwithin (?:an|one|1|24) hours?\b|"
                      r"\bguaranteed\b", re.I)
CREDITS = re.compile(r"\b(?:credit|waive|take (?:it|that|them) off|remove (?:it|that|the))\b",
                     re.I)


class Compliance:
    def __init__(self, tools: ToolRunner, policies: PolicyBook):
        self.tools, self.policies = tools, policies

    async def card_number(self, leg: str, text: str, memory: CallMemory) -> AsyncIterator[Output]:
        """A full card number spoken by anyone, or asked for by the agent."""
        asked = leg == "agent" and ASKS_FOR_CARD.search(text)
        if not (has_card_number(text) or asked) or "pci" in memory.said:
            return
        memory.said.add("pci")
        what = ("The agent asked for a full card number" if asked and not has_card_number(text)
                else "A full card number was read out" if leg == "agent"
                else "The caller read out a full card number")
        rule = await self.policies.sentence("POL-PCI", "four digits")
        yield Suggestion("alert", "high", "card_number", f"{what}. {rule}".strip(), key="pci",
                         sources=(quote(leg, text), *await self.policies.cite("POL-PCI")))

    async def agent_turn(self, text: str, mentions: Mentions,
                         memory: CallMemory) -> AsyncIterator[Output]:
        new = [c for c in mentions.commitments if c not in memory.commitments]
        memory.commitments.extend(new)
        if new and "callback-log" not in memory.said and any(FOLLOW_UP.search(c) for c in new):
            memory.said.add("callback-log")
            rule = await self.policies.sentence("POL-CALLBACK")
            yield Suggestion("info", "normal", "callback",
                             f"The agent promised a follow-up. {rule}".strip(), key="callback",
                             sources=(quote("agent", text),
                                      *await self.policies.cite("POL-CALLBACK")))
        async for out in self._refund_promises(text, memory):
            yield out
        async for out in self._overage_credits(text, memory):
            yield out

    async def _refund_promises(self, text: str, memory: CallMemory) -> AsyncIterator[Output]:
        """A refund the order's terms do not allow (past its window, final sale, a fee the
        terms charge), or promised sooner than refunds take."""
        order = memory.last_order
        plain = NOT_NEGATIONS.sub(" ", text)
        promised = PROMISES_REFUND.search(plain) and not DENIES_REFUND.search(plain)
        full = promised and re.search(r"\bfull\b", plain, re.I)
        if order and (promised or NO_FEE.search(plain)):
            result = await self.tools.call("check_return_policy", {
                "product_id": order["product_id"], "order_id": order["order_number"]})
            status, product = result.get("order") or {}, result.get("product") or {}
            terms = product.get("return_policy") or ""
            if promised and product.get("return_window_days") == 0:
                breach = (f"The agent promised a refund for the {product['name']}, which cannot "
                          f"be returned: {terms}")
                about, key = "supervisor", "late-refund"
            elif promised and status.get("returnable") is False:
                breach = (f"The agent promised a refund for order #{order['order_number']}, past "
                          f"its return window (ended {status['return_by']}).")
                about, key = "supervisor", "late-refund"
            elif "fee" in terms and (NO_FEE.search(plain) or (full and any(
                    USED.search(t.text) for t in memory.turns if t.leg == "customer"))):
                breach = (f"The agent waived a fee the {product['name']}'s return terms charge: "
                          + next(s for s in sentences(terms) if "fee" in s))
                about, key = "supervisor", "fee-waived"
            else:
                breach = about = key = ""
            if key and key not in memory.said:
                memory.said.add(key)
                yield Suggestion("alert", "high", "policy_violation",
                                 f"{breach} {await self.policies.sentence('POL-RET', about)}",
                                 key=key, sources=(quote("agent", text), *return_facts(result),
                                                   *await self.policies.cite("POL-RET", about)))
                return
        if promised and TOO_SOON.search(plain) and "refund-time" not in memory.said:
            memory.said.add("refund-time")
            rule = await self.policies.sentence("POL-RET", "business days")
            yield Suggestion("alert", "high", "policy_violation",
                             f"The agent promised a refund sooner than policy allows: {rule}",
                             key="refund-time", sources=(quote("agent", text),
                                                         *await self.policies.cite("POL-RET",
                                                                                   "business days")))

    async def _overage_credits(self, text: str, memory: CallMemory) -> AsyncIterator[Output]:
        """An overage credit for a caller whose notes record one this past year."""
        if not (memory.context and CREDITS.search(text)) or "second-credit" in memory.said:
            return
        year_ago = (self.tools.today - dt.timedelta(days=365)).isoformat()
        earlier = [n for n in memory.context.get("notes", ())
                   if re.search(r"\bcredit", n["text"], re.I) and "overage" in n["text"].lower()
                   and (n.get("created_at") or "") >= year_ago]
        if not earlier:
            return
        memory.said.add("second-credit")
        rule = await self.policies.sentence("POL-BILL", "overage credit")
        yield Suggestion("alert", "high", "policy_violation",
                         f"A second overage credit within a year: the notes say “{earlier[0]['text']}” "
                         f"({earlier[0]['created_at'][:10]}). {rule}", key="second-credit",
                         sources=(quote("agent", text),
                                  source("customer", earlier[0]["text"], "customer notes"),
                                  *await self.policies.cite("POL-BILL", "overage credit")))
