"""Every message that passes between stages: frozen dataclasses, one per kind.

Stages publish these on a call's :class:`~callkit.bus.Bus` and subscribe to the kinds they
need. Times named ``t``, ``start`` or ``end`` are seconds on the call's audio clock (0 = the
moment the call's audio began); ``wall`` is the Unix time the event was made, for latency.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np

Leg = Literal["customer", "agent"]
SuggestionKind = Literal["suggestion", "alert", "info"]
Priority = Literal["low", "normal", "high"]


@dataclass(frozen=True, kw_only=True)
class Event:
    call_id: str
    wall: float = field(default_factory=time.time)


@dataclass(frozen=True, kw_only=True)
class CallStarted(Event):
    agent_name: str
    title: str = ""


@dataclass(frozen=True, kw_only=True)
class CallEnded(Event):
    status: Literal["completed", "abandoned"] = "completed"
    duration_s: float = 0.0
    # Steps of ending that ran out of time and were cut off (e.g. "flush": the last words
    # were not all transcribed). Empty when the call ended cleanly.
    unfinished: tuple[str, ...] = ()
    reason: str = ""  # who or what ended it: "customer hung up", "agent ended the call", ...


@dataclass(frozen=True, kw_only=True)
class CallerID(Event):
    """The number the caller calls from, known when the call starts (before anyone speaks)."""

    number: str


@dataclass(frozen=True, kw_only=True)
class LegConnected(Event):
    leg: Leg


@dataclass(frozen=True, kw_only=True)
class LegDropped(Event):
    """A leg's connection failed or closed; the call waits for it to rejoin."""

    leg: Leg
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class LegMuted(Event):
    leg: Leg
    muted: bool


@dataclass(frozen=True, kw_only=True)
class LegEnded(Event):
    """No more audio will come on this leg: the STT stage flushes what it holds."""

    leg: Leg


@dataclass(frozen=True, kw_only=True, eq=False)
class AudioChunk(Event):
    """16 kHz mono float32 samples from one leg, starting at call time ``t``."""

    leg: Leg
    t: float
    samples: np.ndarray


@dataclass(frozen=True, kw_only=True)
class AudioLevel(Event):
    leg: Leg
    t: float
    rms: float
    peak: float


@dataclass(frozen=True, kw_only=True)
class SpeechStarted(Event):
    """The VAD heard a turn begin at ``t``; ``turn`` numbers a leg's turns from 1."""

    leg: Leg
    turn: int
    t: float


@dataclass(frozen=True, kw_only=True)
class SpeechEnded(Event):
    leg: Leg
    turn: int
    t: float


MARKS = ("speech_start", "speech_end", "first_partial", "final", "first_token",
         "early_token", "suggestion_done", "shown")


@dataclass(frozen=True, kw_only=True)
class LatencyMark(Event):
    """A moment in the life of one turn, for latency figures.

    ``name`` is one of :data:`MARKS`, stored per turn: speech_start, speech_end (the audio in
    which the speaker started or stopped reached the kernel), first_partial, final,
    first_token (of a suggestion answering the final), early_token (of one answering a
    partial, before the speaker stopped), suggestion_done, shown (a view of the agent's
    console painted the word that first_token marks); ``wall`` is when it happened. Other
    names are timed but not stored per turn: split (a turn cut at max_utterance_s while its
    speaker talks on, instead of speech_end), and a model engine's model_first_token and
    model_done.
    """

    leg: Leg
    turn: int
    name: str


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, kw_only=True)
class TranscriptPartial(Event):
    """Words heard so far in the current turn; each replaces the previous one in place."""

    leg: Leg
    text: str
    start: float
    end: float
    turn: int = 0


@dataclass(frozen=True, kw_only=True)
class TranscriptFinal(Event):
    leg: Leg
    text: str
    start: float
    end: float
    turn: int = 0
    words: tuple[Word, ...] = ()
    confidence: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ToolCall(Event):
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class CustomerContext(Event):
    """What is known of the caller. ``customer`` is None while only candidates exist."""

    customer: dict[str, Any] | None
    orders: tuple[dict[str, Any], ...] = ()
    tickets: tuple[dict[str, Any], ...] = ()
    notes: tuple[dict[str, Any], ...] = ()
    candidates: tuple[dict[str, Any], ...] = ()
    reason: str = ""
    past_calls: tuple[dict[str, Any], ...] = ()  # earlier calls' summaries, newest first


@dataclass(frozen=True, kw_only=True)
class SuggestionStarted(Event):
    suggestion_id: str
    kind: SuggestionKind
    priority: Priority
    topic: str
    # The facts the suggestion rests on, each {"kind", "name", "fact"} (kind: tool, policy,
    # customer, transcript, agent, model); here already, so a card shows them while its text
    # streams. Empty when the engine has nothing it can cite (e.g. a model that used no tool).
    sources: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class SuggestionToken(Event):
    suggestion_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class SuggestionDone(Event):
    suggestion_id: str
    kind: SuggestionKind
    priority: Priority
    topic: str
    message: str
    sources: tuple[dict[str, str], ...] = ()  # as in SuggestionStarted


@dataclass(frozen=True, kw_only=True)
class SuggestionFeedback(Event):
    """The agent used or dismissed a suggestion (from a UI's buttons)."""

    suggestion_id: str
    action: Literal["used", "dismissed"]


# Quick actions on the agent's console: what each one records (agent_actions.action).
QUICK_ACTIONS = {"discount_10": "Applied a 10% discount", "waive_fee": "Waived a fee",
                 "escalate": "Escalated to a supervisor", "callback": "Scheduled a callback"}


@dataclass(frozen=True, kw_only=True)
class AgentAction(Event):
    """Something the agent did on the call: a quick action (``QUICK_ACTIONS``) or a quick
    response inserted. Stored in agent_actions; quick actions are listed in the summary."""

    action: str
    at_s: float                      # call time
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CustomerPicked(Event):
    """The agent chose who the caller is (e.g. one of several candidates)."""

    customer_id: int


@dataclass(frozen=True, kw_only=True)
class MomentFlagged(Event):
    """The agent flagged a moment of the call (a transcript line) to come back to."""

    at_s: float
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Sentiment(Event):
    """Sentiment of one final (VADER compound, -1..1) and the customer's running trend."""

    leg: Leg
    turn: int
    score: float
    label: str
    trend: float  # mean of the customer's last few turns


@dataclass(frozen=True, kw_only=True)
class CallSummary(Event):
    reason: str
    resolution: str
    action_items: tuple[str, ...]
    sentiment: str
    text: str
    customer_id: int | None = None
    topics: tuple[str, ...] = ()
    open_questions: tuple[str, ...] = ()
    written_by: str = "rules"


def to_json(event: Event) -> dict[str, Any]:
    """A JSON-able dict of an event, with its kind under "type" (audio samples left out)."""
    data = {"type": type(event).__name__}
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, np.ndarray):
            continue
        data[f.name] = [asdict(w) for w in value] if f.name == "words" else value
    return data
