"""What a sentence mentions: names, numbers, e-mails, phones, and the topics it touches."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .spoken import normalize_email, normalize_numbers

_NAME = r"([A-Z][a-z]+(?:[ -][A-Z][a-z']+){1,2})"
NAME_PATTERNS = [
    re.compile(rf"\b(?:I'm|I am|my name is|this is|name's|it's|It's|This is|My name is)\s+{_NAME}"),
    re.compile(rf"\b(?:calling for|speaking with|account holder is)\s+{_NAME}"),
]
NOT_NAMES = {"Thank", "Thanks", "Hello", "Hi", "Okay", "Sorry", "Great", "Calling", "Just",
             "Really", "Very", "Not", "So", "The", "Your", "My"}

TOPICS: dict[str, tuple[str, ...]] = {
    "billing": ("bill", "billed", "billing", "charge", "charged", "charges", "invoice",
                "statement", "overage", "payment"),
    "refund": ("refund", "return", "send it back", "send them back", "exchange", "money back"),
    "shipping": ("arrive", "arrived", "delivery", "delivered", "shipping", "shipped",
                 "package", "tracking", "haven't seen", "hasn't come", "where is"),
    "cancel": ("cancel", "cancellation", "close my account", "switch to", "competitor",
               "another provider"),
    "escalation": ("manager", "supervisor", "escalate"),
}
FRUSTRATION = ("frustrated", "frustrating", "angry", "upset", "annoyed", "ridiculous",
               "unacceptable", "terrible", "fed up", "disappointed")
_PROMISE = r"(?:I'll|I will|we'll|we will|I'm going to)"
COMMITMENT = re.compile(rf"\b{_PROMISE}\s+(.+)", re.I)
# Two promises in one sentence are two action items: "I'll add an alert and I'll call you".
CLAUSE_BREAK = re.compile(rf"[.?!;]|,\s*(?:and|but|then)\s+|\s+(?:and|but|then)\s+(?={_PROMISE}\b)",
                          re.I)


@dataclass(frozen=True)
class Mentions:
    names: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    bare_numbers: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    topics: frozenset[str] = field(default_factory=frozenset)
    frustrated: bool = False
    commitments: tuple[str, ...] = ()


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(p)}\b", text) for p in phrases)


def find_mentions(text: str) -> Mentions:
    names = []
    for pattern in NAME_PATTERNS:
        for match in pattern.finditer(text):
            words = match.group(1).split()
            if words[0] not in NOT_NAMES:
                names.append(" ".join(words))
    normalized = normalize_numbers(text)
    orders, accounts, bare, phones = [], [], [], []
    for match in re.finditer(r"\d{4,}", normalized):
        number = match.group(0)
        before = normalized[max(0, match.start() - 30):match.start()].lower()
        if len(number) >= 10 or "phone" in before:
            phones.append(number)
        elif re.search(r"order(?: number)?(?: is)?\W*$", before):
            orders.append(number)
        elif re.search(r"(?:account|count)(?: number)?(?: is)?\W*$", before):
            accounts.append(number)
        else:
            bare.append(number)
    email = normalize_email(text)
    lower = text.lower()
    return Mentions(
        names=tuple(dict.fromkeys(names)), orders=tuple(orders), accounts=tuple(accounts),
        bare_numbers=tuple(bare), emails=(email,) if email else (), phones=tuple(phones),
        topics=frozenset(t for t, words in TOPICS.items() if _has(lower, words)),
        frustrated=_has(lower, FRUSTRATION),
        commitments=tuple(m.group(1).strip() for clause in CLAUSE_BREAK.split(text)
                          if (m := COMMITMENT.search(clause))),
    )
