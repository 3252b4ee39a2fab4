"""The assistant stage: finals in; sentiment, customer context, streamed suggestions and a
summary out. Every suggestion passes the call's SuggestionPolicy before the agent sees it.

Partials come in too, so the caller is identified the moment a name or number is spoken,
before the turn ends; everything else waits for the turn's final."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

from ..config import Settings
from ..events import (QUICK_ACTIONS, AgentAction, CallEnded, CallerID, CallSummary,
                      CustomerContext,
                      CustomerPicked, Event, LatencyMark, MomentFlagged, Sentiment, SuggestionDone,
                      SuggestionFeedback, SuggestionStarted, SuggestionToken, ToolCall,
                      TranscriptFinal, TranscriptPartial)
from ..extensions import Extensions
from .memory import CallMemory, sentiment_label
from .model_output import SuggestionBegin, SuggestionEnd, SuggestionText
from .openai_engine import OpenAIEngine
from .policy import SuggestionPolicy
from .rules import ContextUpdate, RulesEngine, Suggestion
from .summary import summarize
from .tools import ToolRunner

log = logging.getLogger(__name__)
TREND_TURNS = 3
# A streamed suggestion is held back until the policy can judge its wording: its first clause
# (of at least OPENING_CLAUSE_WORDS words) or its first OPENING_WORDS words, or all of it.
OPENING_WORDS = 8
OPENING_CLAUSE_WORDS = 5
_CLAUSE_END = re.compile(r"[,.;:!?\u2014]\s")


class Assistant:
    def __init__(self, call_id: str, settings: Settings, run_db: Callable[..., Any],
                 publish: Callable[[Event], None], *, openai_client=None,
                 extensions: Extensions = Extensions(), today: dt.date | None = None):
        self.call_id = call_id
        self.settings = settings
        self.publish = publish
        self.extensions = extensions
        self.memory = CallMemory()
        self.policy = SuggestionPolicy(settings)
        # ``today`` is the call's date for return windows and "shipped yesterday" (a replayed
        # or evaluated call is judged on its own day).
        tools = ToolRunner(run_db, self._report_tool, extensions.tools, today=today)
        self.rules = RulesEngine(tools, extra_rules=extensions.rules)
        self.engine: RulesEngine | OpenAIEngine = (
            OpenAIEngine(settings, tools, self.rules, client=openai_client)
            if settings.assistant_engine == "openai" else self.rules)
        # The transcript event being answered: its turn gets the latency marks, its end time
        # is "now" for the policy.
        self._trigger: TranscriptFinal | TranscriptPartial | None = None
        self._partial_text: dict[str, tuple[int, str]] = {}  # leg -> (turn, last partial)
        self._open: dict[str, Any] | None = None  # a model suggestion being streamed

    def _report_tool(self, name: str, arguments: dict, result: dict, seconds: float) -> None:
        self.publish(ToolCall(call_id=self.call_id, name=name, arguments=arguments,
                              result=result, duration_s=round(seconds, 4)))

    async def handle(self, event: Event) -> None:
        try:
            await self._handle(event)
        except asyncio.CancelledError:
            # Only the end of the call stops the bus's subscribers (Bus.close), also when it
            # cuts off a turn or the summary before CallEnded is handled.
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Let go of what the engine holds: the model client it made (if any)."""
        if isinstance(self.engine, OpenAIEngine):
            await self.engine.aclose()

    async def _handle(self, event: Event) -> None:
        if isinstance(event, TranscriptFinal):
            await self._on_final(event)
        elif isinstance(event, TranscriptPartial):
            await self._on_partial(event)
        elif isinstance(event, SuggestionFeedback):
            self.policy.feedback(event.suggestion_id, event.action)
            self.memory.feedback[event.action] = self.memory.feedback.get(event.action, 0) + 1
        elif isinstance(event, MomentFlagged):
            self.memory.flags.append((event.at_s, event.note))
        elif isinstance(event, CallerID):
            await self._show(self.rules.caller_id(event.number, self.memory))
        elif isinstance(event, CustomerPicked):
            await self._show(self.rules.pick(event.customer_id, self.memory))
        elif isinstance(event, AgentAction) and event.action in QUICK_ACTIONS:
            self.memory.actions.append(QUICK_ACTIONS[event.action])
        elif isinstance(event, CallEnded):
            try:
                await self._summarize()
            finally:  # the call is over: so is the engine's model client
                await self.aclose()

    async def _on_partial(self, partial: TranscriptPartial) -> None:
        turn, previous = self._partial_text.get(partial.leg, (partial.turn, ""))
        self._partial_text[partial.leg] = (partial.turn, partial.text)
        if turn != partial.turn:
            previous = ""
        self._trigger = partial
        await self._show(self.rules.on_partial(partial.text, previous, self.memory,
                                               partial.leg))

    async def _on_final(self, final: TranscriptFinal) -> None:
        self._trigger = final
        self._partial_text.pop(final.leg, None)
        turn = self.memory.add_turn(final.leg, final.text, final.start)
        self._publish_sentiment(final, turn.sentiment)
        await self._show(self.engine.on_final(final, self.memory))

    async def _show(self, outputs) -> None:
        """Hand an engine's outputs to the agent: context at once, suggestions via the policy.

        Cancelled or failing half-way, the engine's generator is closed at once (a model's
        response stream with it), and a card being streamed is ended as interrupted."""
        async with aclosing(outputs) as outs:
            try:
                async for out in outs:
                    if isinstance(out, ContextUpdate):
                        self._publish_context(out)
                    elif isinstance(out, Suggestion):
                        await self._offer(out)
                    elif isinstance(out, SuggestionBegin):
                        await self._begin_stream(out)
                    elif isinstance(out, SuggestionText):
                        await self._stream_text(out.text)
                    elif isinstance(out, SuggestionEnd):
                        await self._end_stream(out.interrupted)
            finally:
                if self._open is not None:
                    await self._end_stream(interrupted=True)

    def _publish_sentiment(self, final: TranscriptFinal, score: float) -> None:
        scores = self.memory.customer_sentiments()[-TREND_TURNS:] or [score]
        self.publish(Sentiment(call_id=self.call_id, leg=final.leg, turn=final.turn,
                               score=round(score, 3), label=sentiment_label(score),
                               trend=round(sum(scores) / len(scores), 3)))

    def _publish_context(self, update: ContextUpdate) -> None:
        ctx = update.context or {}
        self.publish(CustomerContext(
            call_id=self.call_id, customer=ctx.get("customer"),
            orders=tuple(ctx.get("orders", ())), tickets=tuple(ctx.get("tickets", ())),
            notes=tuple(ctx.get("notes", ())), candidates=update.candidates,
            reason=update.reason, past_calls=tuple(ctx.get("past_calls", ()))))

    def _mark(self, name: str) -> None:
        if name == "first_token" and isinstance(self._trigger, TranscriptPartial):
            # Answered while the caller was still speaking: counted apart, so that "final →
            # first token" measures the turns answered from what was finally said.
            name = "early_token"
        if self._trigger is not None:
            self.publish(LatencyMark(call_id=self.call_id, leg=self._trigger.leg,
                                     turn=self._trigger.turn, name=name))

    @property
    def _now(self) -> float:
        return self._trigger.end if self._trigger else 0.0

    async def _offer(self, s: Suggestion) -> None:
        """A whole suggestion from an engine: through the policy, then word by word."""
        decision = self.policy.decide(kind=s.kind, priority=s.priority, key=s.policy_key,
                                      text=s.text, confidence=s.confidence, at=self._now)
        if not decision.accepted:
            log.debug("suggestion held back (%s): %s", decision.reason, s.text)
            return
        if decision.wait_s:
            # The policy counts call time; a call replayed faster passes it faster.
            await asyncio.sleep(decision.wait_s / max(self.settings.replay_speed, 1.0))
        sid = uuid.uuid4().hex[:12]
        self.publish(SuggestionStarted(call_id=self.call_id, suggestion_id=sid, kind=s.kind,
                                       priority=s.priority, topic=s.topic, sources=s.sources))
        for i, word in enumerate(s.text.split(" ")):
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=sid,
                                         text=word if i == 0 else " " + word))
            if i == 0:
                self._mark("first_token")
            if self.settings.token_delay_s:
                await asyncio.sleep(self.settings.token_delay_s)
        self._done(sid, s.kind, s.priority, s.topic, s.text, s.policy_key, s.sources)

    def _done(self, sid: str, kind: str, priority: str, topic: str, text: str, key: str,
              sources: tuple[dict[str, str], ...]) -> None:
        self.policy.shown(sid, kind=kind, key=key, text=text, at=self._now)
        self.memory.shown += 1
        self.publish(SuggestionDone(call_id=self.call_id, suggestion_id=sid, kind=kind,
                                    priority=priority, topic=topic, message=text,
                                    sources=sources))
        self._mark("suggestion_done")

    async def _begin_stream(self, b: SuggestionBegin) -> None:
        """A model's suggestion begins: held back until the policy has seen how it opens."""
        self._open = {"id": None, "begin": b, "text": ""}  # id None: not judged yet

    async def _judge_stream(self, *, opening: bool) -> None:
        """The policy's verdict on the open suggestion, from its text so far; if accepted,
        after its debounce wait, the card starts with the text held back until now."""
        o, b = self._open, self._open["begin"]
        text = o["text"].strip()
        decision = self.policy.decide(kind=b.kind, priority=b.priority, key=b.policy_key,
                                      text=text, confidence=b.confidence, at=self._now,
                                      opening=opening, model=True)
        if not decision.accepted:
            log.debug("model suggestion held back (%s): %s", decision.reason, text)
            o["id"] = ""
            return
        if decision.wait_s:
            # As in _offer: the policy counts call time. The rest of the answer waits in the
            # response stream meanwhile.
            await asyncio.sleep(decision.wait_s / max(self.settings.replay_speed, 1.0))
        o["id"] = uuid.uuid4().hex[:12]
        self.publish(SuggestionStarted(call_id=self.call_id, suggestion_id=o["id"],
                                       kind=b.kind, priority=b.priority, topic=b.topic,
                                       sources=b.sources))
        # What was held back goes out at once, word by word as the model streamed it.
        for i, piece in enumerate(re.findall(r"\s*\S+\s*$|\s*\S+", o["text"])):
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=o["id"],
                                         text=piece))
            if i == 0:
                self._mark("first_token")

    async def _stream_text(self, text: str) -> None:
        o = self._open
        if o is None:
            return
        o["text"] += text
        if o["id"] is None:
            if _opening_complete(o["text"]):
                await self._judge_stream(opening=True)
        elif o["id"]:
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=o["id"],
                                         text=text))

    async def _end_stream(self, interrupted: bool) -> None:
        o = self._open
        if o is None:
            return
        if o["id"] is None and not interrupted and o["text"].strip():
            await self._judge_stream(opening=False)  # short enough to be judged whole
        self._open = None
        if not o["id"]:  # held back, or cut off before it was judged: never shown at all
            return
        b = o["begin"]
        text = o["text"].strip() + (" …" if interrupted else "")
        self._done(o["id"], b.kind, b.priority, b.topic, text, b.policy_key, b.sources)

    async def _summarize(self) -> None:
        if isinstance(self.engine, OpenAIEngine):
            summary, written_by = await self.engine.summarize(self.memory)
        else:
            summary = summarize(self.memory, self.extensions.action_items)
            written_by = "rules"
        customer = self.memory.customer
        self.publish(CallSummary(
            call_id=self.call_id, reason=summary.reason, resolution=summary.resolution,
            action_items=summary.action_items, sentiment=summary.sentiment, text=summary.text,
            customer_id=customer["id"] if customer else None, topics=tuple(self.memory.topics),
            open_questions=tuple(self.memory.open_questions()), written_by=written_by))



def _opening_complete(text: str) -> bool:
    """Enough of a streamed message to judge it: a first clause of OPENING_CLAUSE_WORDS words
    or more, or OPENING_WORDS whole words (a word is whole once something follows it)."""
    whole = len(text.split()) - (0 if text[-1:].isspace() else 1)
    if whole >= OPENING_WORDS:
        return True
    return any(len(text[:m.end()].split()) >= OPENING_CLAUSE_WORDS
               for m in _CLAUSE_END.finditer(text))
