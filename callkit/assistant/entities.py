"""What a sentence mentions: numbers, e-mails, phones, the topics it touches, promises.

Names are not found here: a name counts only if it is a customer's (names.py, the
customer table as gazetteer)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .spoken import normalize_email, normalize_numbers

TOPICS: dict[str, tuple[str, ...]] = {
    "billing": ("bill", "billed", "billing", "charge", "charged", "charges", "invoice",
                "statement", "overage", "payment"),
    "refund": ("refund", "refunds", "refunded", "return", "returns", "returning", "returnable",
               "send it back", "send them back", "money back"),
    "exchange": ("exchange", "swap", "different size", "bigger size", "smaller size",
                 "half size", "size up", "size down", "a size bigger", "a size smaller"),
    # Something went wrong with what they bought: no time for an upsell.
    "complaint": ("still not here", "hasn't come", "hasn't arrived", "never came",
                  "never arrived", "never shows up", "late", "lost", "missing", "damaged",
                  "broken", "doesn't work", "won't charge", "stopped working", "wrong item",
                  "cutting out", "keeps dropping", "defective"),
    "shipping": ("arrive", "arrived", "delivery", "delivered", "shipping", "shipped",
                 "package", "tracking", "haven't seen", "hasn't come", "where is"),
    "cancel": ("cancel", "cancelling", "canceling", "cancellation", "close my account",
               "switch to", "switching to", "competitor", "another provider", "take my business"),
    # Asking for one ("your manager"), not mentioning one ("I'm the office manager").
    "escalation": ("your manager", "a manager", "the manager", "your supervisor",
                   "a supervisor", "the supervisor", "escalate", "someone above you",
                   "your boss", "someone in charge"),
}
# Words about how the caller feels, not about a product ("the signal is terrible").
FRUSTRATION = ("frustrated", "frustrating", "angry", "upset", "annoyed", "ridiculous",
               "unacceptable", "fed up", "disappointed", "sick of", "waste of time", "i'm done",
               "had enough", "furious", "livid", "fuming", "unbelievable", "not happy",
               "third time", "runaround", "nobody can tell me", "nobody will")
# Calling again about the same thing: with frustration, policy says offer a supervisor.
REPEAT_CONTACT = ("called about this", "already called", "calling again", "called again",
                  "second time", "third time", "called twice", "twice already", "again about",
                  "last week with", "every time i call", "every single time i call")
# Cancelling an order is not leaving: "cancel it and reorder" is no churn risk.
CANCEL_ORDER = re.compile(r"\bcancel(?:l?ing)?\s+(?:the\s+|my\s+|this\s+|that\s+)?"
                          r"(?:order|it|them|that)\b")
LEAVING = re.compile(r"\b(?:account|subscription|plan|service|membership|switch|switching|"
                     r"competitor|provider|elsewhere)\b")
_PROMISE = r"(?:I'll|I will|we'll|we will|I'm going to)"
# "I can refund that for you" is a promise too when the verb is something the agent does for
# the caller ("I can look at that" is not).
_DOES = (r"(?:refund|credit|give|send|email|e-mail|open|issue|waive|apply|cancel|replace|"
         r"reship|ship|process|escalate|schedule|book|set up|transfer|expedite|upgrade)")
COMMITMENT = re.compile(rf"\b{_PROMISE}\s+(.+)|\bI can\s+({_DOES}\b.+)", re.I)
# Two promises in one sentence are two action items: "I'll add an alert and I'll call you".
CLAUSE_BREAK = re.compile(rf"[.?!;]|,\s*(?:and|but|then)\s+|\s+(?:and|but|then)\s+(?={_PROMISE}\b)",
                          re.I)


@dataclass(frozen=True)
class Mentions:
    orders: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    bare_numbers: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    topics: frozenset[str] = field(default_factory=frozenset)
    frustrated: bool = False
    repeat_contact: bool = False
    commitments: tuple[str, ...] = ()


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(p)}\b", text) for p in phrases)


def find_mentions(text: str) -> Mentions:
    normalized = normalize_numbers(text)
    orders, accounts, bare, phones = [], [], [], []
    for match in re.finditer(r"\d{4,}", normalized):
        number = match.group(0)
        before = normalized[max(0, match.start() - 30):match.start()].lower()
        # The cue right before the number decides ("order number 78901" even after "my
        # headphones"); "phone" anywhere close before it, or ten digits, make a phone number.
        if re.search(r"order(?: number)?(?: is)?\W*$", before) and len(number) < 10:
            orders.append(number)
        elif re.search(r"(?:account|count)(?: number)?(?: is)?\W*$", before) and len(number) < 10:
            accounts.append(number)
        elif len(number) >= 10 or re.search(r"\b(?:phone|cell|mobile)\b", before):
            phones.append(number)
        else:
            bare.append(number)
    email = normalize_email(text)
    lower = text.lower()
    topics = {t for t, words in TOPICS.items() if _has(lower, words)}
    if "cancel" in topics and CANCEL_ORDER.search(lower) and not LEAVING.search(lower):
        topics = (topics - {"cancel"}) | {"cancel_order"}
    return Mentions(
        orders=tuple(orders), accounts=tuple(accounts),
        bare_numbers=tuple(bare), emails=(email,) if email else (), phones=tuple(phones),
        topics=frozenset(topics),
        frustrated=_has(lower, FRUSTRATION),
        repeat_contact=_has(lower, REPEAT_CONTACT),
        commitments=tuple((m.group(1) or m.group(2)).strip()
                          for clause in CLAUSE_BREAK.split(text)
                          if (m := COMMITMENT.search(clause))),
    )
