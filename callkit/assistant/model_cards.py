"""A model's card as it streams in: held back until the suggestion policy has judged how it
opens, then shown word by word as the model writes it (the Assistant stage's part for
streamed suggestions; whole ones go through ``Assistant._offer``)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass, field

from ..events import SuggestionStarted, SuggestionToken
from .model_output import SuggestionBegin

log = logging.getLogger(__name__)
# A streamed suggestion is held back until the policy can judge its wording: its first clause
# (of at least OPENING_CLAUSE_WORDS words) or its first OPENING_WORDS words, or all of it.
OPENING_WORDS = 8
OPENING_CLAUSE_WORDS = 5
_CLAUSE_END = re.compile(r"[,.;:!?\u2014]\s")


@dataclass(eq=False)
class StreamedCard:
    begin: SuggestionBegin
    trigger: object  # the transcript event (turn) the card answers
    id: str | None = None  # None: not judged yet; "": held back
    text: str = ""
    marked: set[str] = field(default_factory=set)


class ModelCards:
    """Mixed into the Assistant stage, which provides call_id, settings, policy, publish,
    _mark and _done."""

    async def _judge_stream(self, card: StreamedCard, *, opening: bool) -> None:
        """The policy's verdict on the card, from its text so far; if accepted, after its
        debounce wait, the card starts with the text held back until now."""
        b = card.begin
        text = card.text.strip()
        decision = self.policy.decide(kind=b.kind, priority=b.priority, key=b.policy_key,
                                      text=text, confidence=b.confidence,
                                      at=getattr(card.trigger, "end", 0.0),
                                      opening=opening, model=True)
        if not decision.accepted:
            log.debug("model suggestion held back (%s): %s", decision.reason, text)
            card.id = ""
            return
        if decision.wait_s:
            # The policy counts call time; a call replayed faster passes it faster. The rest
            # of the answer waits in the response stream meanwhile.
            await asyncio.sleep(decision.wait_s / max(self.settings.replay_speed, 1.0))
        card.id = uuid.uuid4().hex[:12]
        self.publish(SuggestionStarted(call_id=self.call_id, suggestion_id=card.id,
                                       kind=b.kind, priority=b.priority, topic=b.topic,
                                       sources=b.sources))
        # What was held back goes out at once, word by word as the model streamed it.
        for i, piece in enumerate(re.findall(r"\s*\S+\s*$|\s*\S+", card.text)):
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=card.id,
                                         text=piece))
            if i == 0:
                self._mark("first_token", card.trigger)

    async def _stream_text(self, card: StreamedCard, text: str) -> None:
        card.text += text
        if card.id is None:
            if _opening_complete(card.text):
                await self._judge_stream(card, opening=True)
        elif card.id:
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=card.id,
                                         text=text))

    async def _end_stream(self, card: StreamedCard, interrupted: bool) -> None:
        if not interrupted:  # the model wrote it all (shown or not): its answer's latency
            self._mark("model_done", card.trigger, once=card)
        if card.id is None and not interrupted and card.text.strip():
            await self._judge_stream(card, opening=False)  # short enough to be judged whole
        if not card.id:  # held back, or cut off before it was judged: never shown at all
            return
        b = card.begin
        text = card.text.strip() + (" …" if interrupted else "")
        self._done(card.id, b.kind, b.priority, b.topic, text, b.policy_key, b.sources,
                   card.trigger)


def _opening_complete(text: str) -> bool:
    """Enough of a streamed message to judge it: a first clause of OPENING_CLAUSE_WORDS words
    or more, or OPENING_WORDS whole words (a word is whole once something follows it)."""
    whole = len(text.split()) - (0 if text[-1:].isspace() else 1)
    if whole >= OPENING_WORDS:
        return True
    return any(len(text[:m.end()].split()) >= OPENING_CLAUSE_WORDS
               for m in _CLAUSE_END.finditer(text))
