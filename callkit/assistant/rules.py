"""The default engine: deterministic rules over the same tools a model would call.

Suggestions come from what the transcript mentions, what DuckDB answers and what the
knowledge base says (its ``policies`` rows: the wording of every policy lives there, not
here). Each rule fires once per subject (a customer, an order, a topic), and every suggestion
quotes real rows, never invented figures. Who is calling is identity.py's; orders are
orders.py's; what the agent says is checked by compliance.py.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from ..events import TranscriptFinal
from .answers import AccountAnswers
from .compliance import Compliance
from .entities import Mentions, find_mentions
from .identity import Identity
from .memory import CallMemory
from .orders import Orders
from .outputs import ContextUpdate, Output, Suggestion
from .sources import PolicyBook, quote, sentences, source
from .tools import ToolRunner

# Suggestion and ContextUpdate are imported from here by extensions and notebooks.
__all__ = ["ContextUpdate", "Output", "RulesEngine", "Suggestion"]

QUESTION = re.compile(r"\?|^\s*(?:um,?\s+|uh,?\s+|so,?\s+|and\s+)*(?:how|what|when|where|why|"
                      r"can|could|do|does|is|are|will|would|should)\b|\b(?:how long|how much|"
                      r"how do|can i|could i|do you|is there|what is|what's|when will)\b", re.I)
# A turn this negative (VADER compound) is frustration even without a word for it; milder
# scores come with plain bad news ("my phone died").
UPSET = -0.7
# The agent looking a policy up: the knowledge base answers them too.
LOOKS_UP_POLICY = re.compile(r"\b(?:policy|policies|rules)\b", re.I)


class RulesEngine:
    """``extra_rules`` (callkit/extensions.py) run after the built-in rules on every final.

    Every suggestion carries ``sources``: the rows, policy sentences and words it was built
    from, worded by callkit/assistant/sources.py from what the rule itself read."""

    def __init__(self, tools: ToolRunner, today: dt.date | None = None,
                 extra_rules: Sequence[Callable[..., Any]] = ()):
        self.tools = tools
        self.today = today or tools.today
        self.extra_rules = tuple(extra_rules)
        self.policies = PolicyBook(tools)
        self.identity = Identity(tools, self.policies)
        self.orders = Orders(tools, self.policies, self.identity, self.today)
        self.compliance = Compliance(tools, self.policies)
        self.answers = AccountAnswers(tools, self.policies)

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

    async def _identify(self, leg: str, text: str, mentions: Mentions, memory: CallMemory,
                        tentative: bool = False) -> AsyncIterator[Output]:
        """Only the caller's words (and caller ID) say who is calling: an agent who gives
        their own name, or reads a name off another screen, must not become the caller; the
        agent's words may only confirm a candidate."""
        known = memory.customer
        if leg == "customer":
            async for out in self.identity.identify(text, mentions, memory, tentative):
                yield out
        elif not tentative:
            async for out in self.identity.confirm_by_agent(text, mentions, memory):
                yield out
        if memory.customer is not known and memory.customer is not None:
            async for out in self.orders.after_identification(memory):
                yield out

    async def _built_in(self, final: TranscriptFinal,
                        memory: CallMemory) -> AsyncIterator[Output]:
        mentions = find_mentions(final.text)
        async for out in self._identify(final.leg, final.text, mentions, memory):
            yield out
        # An order the agent reads out is looked up once the caller is known; before, it would
        # make its owner a candidate on the agent's word.
        if final.leg == "customer" or memory.customer is not None:
            for number in mentions.orders:
                async for out in self.orders.quoted(number, memory, explicit=True):
                    yield out
            for number in mentions.bare_numbers:
                if memory.customer is None or number != memory.customer["account_number"]:
                    async for out in self.orders.quoted(number, memory, explicit=False):
                        yield out
        if memory.customer and memory.last_order and {"refund", "exchange"} & set(memory.topics):
            async for out in self.answers.returns(memory):  # asked before the order was known
                yield out
        async for out in self.compliance.card_number(final.leg, final.text, memory):
            yield out
        if final.leg == "agent":
            async for out in self.compliance.agent_turn(final.text, mentions, memory):
                yield out
            if LOOKS_UP_POLICY.search(final.text):  # "let me check our price match rules"
                async for out in self.answers.answer(final.text, set(), memory):
                    yield out
            return
        async for out in self._customer_turn(final, mentions, memory):
            yield out

    async def on_partial(self, text: str, previous: str, memory: CallMemory,
                         leg: str = "customer") -> AsyncIterator[Output]:
        """Look the caller up while they are still speaking.

        A partial is a guess that the next one may revise ("order 788" → "order 78900" →
        "78901"), so only the words the previous partial of the same turn also heard are
        looked at, and only sure hits are shown: a miss or an ambiguous name waits for the
        final."""
        now, before = text.split(), previous.split()
        same = 0
        while same < min(len(now), len(before)) and now[same] == before[same]:
            same += 1
        stable = " ".join(now[:same])
        if not stable:
            return
        mentions = find_mentions(stable)
        async for out in self._identify(leg, stable, mentions, memory, tentative=True):
            yield out
        if leg == "customer" or memory.customer is not None:
            for number in mentions.orders:
                async for out in self.orders.quoted(number, memory, explicit=True,
                                                    tentative=True):
                    yield out

    async def caller_id(self, number: str, memory: CallMemory) -> AsyncIterator[Output]:
        """The caller ID, as the call starts (identity.py)."""
        async for out in self.identity.caller_id(number, memory):
            yield out

    async def pick(self, customer_id: int, memory: CallMemory) -> AsyncIterator[Output]:
        """The agent chose the caller (say among ambiguous candidates): that one is shown."""
        known = memory.customer
        async for out in self.identity.pick(customer_id, memory):
            yield out
        if memory.customer is not known:
            async for out in self.orders.after_identification(memory):
                yield out

    async def _customer_turn(self, final: TranscriptFinal, mentions: Mentions,
                             memory: CallMemory) -> AsyncIterator[Output]:
        for topic in sorted(mentions.topics):
            memory.note_topic(topic)
        turn_sentiment = memory.turns[-1].sentiment if memory.turns else 0.0
        upset = turn_sentiment <= UPSET
        answered: set[str] = set()
        if mentions.frustrated or upset:
            memory.note_topic("frustration")
            if "frustration" not in memory.said:
                memory.said.add("frustration")
                # The score is cited only when it is what tripped the rule (words like
                # "frustrated" can come with a polite, positive-scoring sentence).
                yield Suggestion("suggestion", "high", "frustration",
                                 "The customer sounds frustrated: acknowledge it and apologize "
                                 "once. " + await self.policies.sentence("POL-ESC", "frustrated"),
                                 sources=(quote(final.leg, final.text,
                                                turn_sentiment if upset else None),
                                          *await self.policies.cite("POL-ESC", "frustrated")))
        memory.repeat_contact = memory.repeat_contact or mentions.repeat_contact
        asked = "escalation" in mentions.topics
        again = "frustration" in memory.topics and memory.repeat_contact
        if (asked or again) and "escalation" not in memory.said:
            memory.said.add("escalation")
            answered.add("POL-ESC")
            # The policy is cited, not repeated: the frustration card may have quoted it.
            why = ("The customer asked for a supervisor: offer the transfer now." if asked else
                   "The customer is frustrated and has called about this before: offer a "
                   "supervisor now.")
            about = "manager" if asked else "two attempts"
            yield Suggestion("alert", "high", "escalation", why,
                             sources=(quote(final.leg, final.text),
                                      *await self.policies.cite("POL-ESC", about)))
        if "billing" in memory.topics:  # asked before they were identified, too
            async for out in self.answers.billing(memory):
                answered.add("POL-BILL")
                yield out
        if mentions.topics & {"refund", "exchange"}:
            async for out in self.answers.returns(memory):
                answered |= {s.get("name") for s in out.sources}
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
                             + ". " + await self.policies.sentence("POL-RETAIN", "retention"),
                             key="churn",
                             sources=(why, *await self.policies.cite("POL-RETAIN", "retention")))
        said = sentences(final.text)
        for i, question in enumerate(said):
            if QUESTION.search(question):  # with the sentence before it, which often says
                # what "it" is ("I got a gift card for my birthday. Can I return it?")
                asked = " ".join(said[max(0, i - 1):i + 1])
                async for out in self.answers.answer(asked, answered, memory):
                    yield out
        # Upsell once the caller has been helped and sounds pleased, not while they explain,
        # and never on a call about a problem (a complaint, a return, a late parcel).
        troubled = (set(memory.topics) & {"frustration", "cancel", "escalation", "refund",
                                          "complaint"}
                    or min(memory.customer_sentiments()) <= -0.3)
        if (turn_sentiment >= 0.4 and memory.resolutions and memory.customer and not troubled
                and len(memory.customer_sentiments()) >= 3 and not final.text.rstrip().endswith("?")):
            async for out in self.answers.upsell(memory):
                yield out
