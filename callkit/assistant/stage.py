"""The assistant stage: finals in; sentiment, customer context, streamed suggestions and a
summary out. Every suggestion passes the call's SuggestionPolicy before the agent sees it.

Partials come in too, so the caller is identified the moment a name or number is spoken,
before the turn ends; everything else waits for the turn's final."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..events import (QUICK_ACTIONS, AgentAction, CallEnded, CallerID, CallSummary,
                      CustomerContext,
                      CustomerPicked, Event, LatencyMark, Sentiment, SuggestionDone,
                      SuggestionFeedback, SuggestionStarted, SuggestionToken, ToolCall,
                      TranscriptFinal, TranscriptPartial)
from ..extensions import Extensions
from .memory import CallMemory, sentiment_label
from .openai_engine import OpenAIEngine, SuggestionBegin, SuggestionEnd, SuggestionText
from .policy import SuggestionPolicy
from .rules import ContextUpdate, RulesEngine, Suggestion
from .summary import summarize
from .tools import ToolRunner

log = logging.getLogger(__name__)
TREND_TURNS = 3


class Assistant:
    def __init__(self, call_id: str, settings: Settings, run_db: Callable[..., Any],
                 publish: Callable[[Event], None], *, openai_client=None,
                 extensions: Extensions = Extensions()):
        self.call_id = call_id
        self.settings = settings
        self.publish = publish
        self.extensions = extensions
        self.memory = CallMemory()
        self.policy = SuggestionPolicy(settings)
        tools = ToolRunner(run_db, self._report_tool, extensions.tools)
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
        if isinstance(event, TranscriptFinal):
            await self._on_final(event)
        elif isinstance(event, TranscriptPartial):
            await self._on_partial(event)
        elif isinstance(event, SuggestionFeedback):
            self.policy.feedback(event.suggestion_id, event.action)
        elif isinstance(event, CallerID):
            await self._show(self.rules.caller_id(event.number, self.memory))
        elif isinstance(event, CustomerPicked):
            await self._show(self.rules.pick(event.customer_id, self.memory))
        elif isinstance(event, AgentAction) and event.action in QUICK_ACTIONS:
            self.memory.actions.append(QUICK_ACTIONS[event.action])
        elif isinstance(event, CallEnded):
            await self._summarize()

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
        """Hand an engine's outputs to the agent: context at once, suggestions via the policy."""
        async for out in outputs:
            if isinstance(out, ContextUpdate):
                self._publish_context(out)
            elif isinstance(out, Suggestion):
                await self._offer(out)
            elif isinstance(out, SuggestionBegin):
                self._begin_stream(out)
            elif isinstance(out, SuggestionText):
                self._stream_text(out.text)
            elif isinstance(out, SuggestionEnd):
                self._end_stream(out.interrupted)

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
        self.publish(SuggestionDone(call_id=self.call_id, suggestion_id=sid, kind=kind,
                                    priority=priority, topic=topic, message=text,
                                    sources=sources))
        self._mark("suggestion_done")

    def _begin_stream(self, b: SuggestionBegin) -> None:
        """A model's suggestion: the policy can judge its kind and topic before the text."""
        decision = self.policy.decide(kind=b.kind, priority=b.priority, key=b.topic, text="",
                                      confidence=1.0, at=self._now)
        sid = uuid.uuid4().hex[:12] if decision.accepted else ""
        self._open = {"id": sid, "begin": b, "text": ""}
        if sid:
            self.publish(SuggestionStarted(call_id=self.call_id, suggestion_id=sid, kind=b.kind,
                                           priority=b.priority, topic=b.topic,
                                           sources=b.sources))

    def _stream_text(self, text: str) -> None:
        if self._open is None:
            return
        first = not self._open["text"]
        self._open["text"] += text
        if self._open["id"]:
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=self._open["id"],
                                         text=text))
            if first:
                self._mark("first_token")

    def _end_stream(self, interrupted: bool) -> None:
        opened, self._open = self._open, None
        if opened is None or not opened["id"]:
            return
        b = opened["begin"]
        text = opened["text"].strip() + (" …" if interrupted else "")
        self._done(opened["id"], b.kind, b.priority, b.topic, text, b.topic, b.sources)

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

