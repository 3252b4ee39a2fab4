"""What a model's streamed answer becomes: a card's header (kind, priority, topic within the
rules' vocabulary, confidence), then its message, read character by character as the JSON
streams in, so the agent sees the words as the model writes them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .outputs import TOPICS, Output, Source

# The topics a model's suggestion may have (the policy's cooldown key is built from it): the
# rules' own (outputs.TOPICS), so engines compare topic for topic. A model words its topic
# freely; anything not there or in TOPIC_WORDS becomes the suggestion's kind, so inventing a
# new word each turn cannot get past the cooldown.
MODEL_TOPICS = frozenset(TOPICS) - {"identified", "tier"}  # the rules' cards, from the panel
TOPIC_WORDS = {
    "order": "order_status", "orders": "order_status", "status": "order_status",
    "delivery": "shipping", "shipment": "shipping", "tracking": "shipping",
    "refund": "return_policy", "refunds": "return_policy", "return": "return_policy",
    "returns": "return_policy", "exchange": "return_policy", "payment": "billing",
    "charge": "billing", "charges": "billing", "invoice": "billing", "bill": "billing",
    "account": "verify_identity", "identity": "verify_identity",
    "verification": "verify_identity", "verify": "verify_identity", "retention": "churn",
    "cancel": "churn", "cancellation": "churn", "manager": "escalation",
    "supervisor": "escalation", "upgrade": "upsell", "policy": "policy_violation",
    "compliance": "policy_violation", "angry": "frustration", "followup": "callback",
}
# A model that does not say how sure it is gets the rules' usual confidence.
DEFAULT_CONFIDENCE = 0.9


def model_topic(word: str, kind: str) -> str:
    """The model's free-worded topic as one of MODEL_TOPICS, else the kind."""
    word = re.sub(r"[^a-z]", "", word.lower())
    word = TOPIC_WORDS.get(word, word)
    return word if word in MODEL_TOPICS else kind


def confidence_of(value: str | None) -> float:
    """0..1 from the model's "confidence" (a percentage is accepted too)."""
    try:
        number = float(value) if value is not None else DEFAULT_CONFIDENCE
    except ValueError:
        return DEFAULT_CONFIDENCE
    if not number == number:  # NaN
        return DEFAULT_CONFIDENCE
    if 1.0 < number <= 100.0:
        number /= 100.0
    return min(max(number, 0.0), 1.0)


@dataclass(frozen=True)
class SuggestionBegin:
    kind: str
    priority: str
    topic: str  # one of MODEL_TOPICS, or the kind
    # What the tools the model called for this answer returned: the facts it was given
    # (which of them it used, only the model knows; nothing else is cited).
    sources: tuple[Source, ...] = ()
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def policy_key(self) -> str:
        return f"model:{self.topic}"


@dataclass(frozen=True)
class SuggestionText:
    text: str


@dataclass(frozen=True)
class SuggestionEnd:
    interrupted: bool = False


StreamOutput = Output | SuggestionBegin | SuggestionText | SuggestionEnd


class MessageStream:
    """Reads ``{"type": …, "priority": …, "topic": …, "confidence": …, "message": "…"}`` as
    it streams in and hands out the message's characters as soon as they arrive."""

    def __init__(self) -> None:
        self.buffer = ""
        self.header: dict[str, str] | None = None
        self._pos: int | None = None  # index in buffer of the next message character
        self.message = ""
        self.closed = False

    def feed(self, text: str) -> str:
        self.buffer += text
        if self._pos is None:
            start = re.search(r'"message"\s*:\s*"', self.buffer)
            if start is None:
                return ""
            head = self.buffer[:start.start()]
            self.header = {k: m.group(1) for k in ("type", "priority", "topic")
                           if (m := re.search(rf'"{k}"\s*:\s*"([^"]*)"', head))}
            number = re.search(r'"confidence"\s*:\s*"?(-?[0-9]*\.?[0-9]+)', head)
            if number:
                self.header["confidence"] = number.group(1)
            self._pos = start.end()
        out = []
        while not self.closed and self._pos < len(self.buffer):
            ch = self.buffer[self._pos]
            if ch == '"':
                self.closed = True
                break
            if ch == "\\":
                escape = re.match(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])', self.buffer[self._pos:])
                if escape is None:
                    break  # the rest of the escape has not arrived yet
                out.append(json.loads(f'"{escape.group(0)}"'))
                self._pos += len(escape.group(0))
                continue
            out.append(ch)
            self._pos += 1
        piece = "".join(out)
        self.message += piece
        return piece

    def declined(self) -> bool:
        return bool(re.search(r'"type"\s*:\s*"none"', self.buffer))


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?=\D)")


def numbers_in(text: str, complete: bool = True) -> set[float]:
    """The numbers written in ``text``; if it is not ``complete`` (still streaming), not the
    one at its very end, which may still grow."""
    found = set()
    for m in _NUMBER.finditer(text + (" " if complete else "")):
        try:
            found.add(float(m.group(0).replace(",", "")))
        except ValueError:
            continue
    return found


def ungrounded_number(message: str, grounding: frozenset[float], complete: bool) -> float | None:
    """A number the model wrote that the call and the facts it was given do not contain: an
    invented order number, amount, date or window (small models copy them from examples)."""
    return next((n for n in sorted(numbers_in(message, complete)) if n not in grounding), None)


# What a small model writes that no agent should read out (measured on the scenarios with the
# kit's 0.5B model): a refusal, a placeholder of the redaction, or a name nobody said.
_REFUSAL = re.compile(r"\b(?:can'?t|cannot|can not|unable to|not able to) (?:help|assist)", re.I)
_PLACEHOLDER = re.compile(r"\[(?:phone|email|card)\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_SENTENCE_END = re.compile(r"[.!?:\"]\s*$")
ALWAYS_CAPITALIZED = frozenset({"I", "I'm", "I'll", "I've", "I'd", "OK", "Mr", "Mrs", "Ms"})


@dataclass(frozen=True)
class Grounding:
    """The numbers and words of what a model was told, read once per request (a card is
    judged against them at every streamed piece)."""
    numbers: frozenset[float]
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> "Grounding":
        return cls(frozenset(numbers_in(text)),
                   frozenset(_base(w) for w in _WORD.findall(text)))


def card_problem(message: str, grounding: Grounding, complete: bool) -> str | None:
    """Why a small model's card must not be shown, judged on the words written so far (the
    last one only once ``complete``): a refusal, a redaction placeholder, a number or a
    capitalized name that nothing it was told contains."""
    if _REFUSAL.search(message):
        return "a refusal"
    if _PLACEHOLDER.search(message):
        return "a redaction placeholder"
    number = ungrounded_number(message, grounding.numbers, complete)
    if number is not None:
        return f"the number {number:g}, from nowhere"
    known = grounding.words
    for m in _WORD.finditer(message):
        word = m.group(0)
        if not word[0].isupper() or word in ALWAYS_CAPITALIZED:
            continue
        if not complete and m.end() == len(message):
            break  # the word may still grow
        before = message[:m.start()]
        if not before.strip() or _SENTENCE_END.search(before):
            continue  # a sentence's first word
        if _base(word) not in known:
            return f"the name {word!r}, from nowhere"
    return None


def _base(word: str) -> str:
    return re.split(r"['’]", word)[0]
