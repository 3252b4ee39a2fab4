"""Redact personal data before text leaves the machine (for a remote model endpoint)."""

from __future__ import annotations

import re

from .spoken import normalize_numbers

_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPOKEN_EMAIL = re.compile(r"\b[a-z0-9]+(?:\s+dot\s+[a-z0-9]+)*\s+at\s+[a-z0-9]+(?:\s+dot\s+[a-z0-9]+)+\b",
                           re.I)
_PHONE = re.compile(r"(?<!\d)(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\d)")


def redact(text: str) -> str:
    """Card numbers keep their last four digits; e-mails and phone numbers are replaced.

    Spoken digits ("four one five …") are turned into numerals first so they are caught too.
    """
    text = normalize_numbers(text, min_digits=7)
    text = _EMAIL.sub("[email]", text)
    text = _SPOKEN_EMAIL.sub("[email]", text)
    text = _CARD.sub(lambda m: f"[card ending {re.sub(r'[^0-9]', '', m.group(0))[-4:]}]", text)
    return _PHONE.sub("[phone]", text)


def has_card_number(text: str) -> bool:
    return bool(_CARD.search(normalize_numbers(text, min_digits=7)))
