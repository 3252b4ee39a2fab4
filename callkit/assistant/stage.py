"""The assistant stage: finals in; sentiment, customer context, streamed suggestions and a
summary out. Every suggestion passes the call's SuggestionPolicy before the agent sees it.

Partials come in too, so the caller is identified the moment a name or number is spoken,
before the turn ends; everything else waits for the turn's final."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
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
from .model_cards import ModelCards, StreamedCard
from .model_output import SuggestionBegin, SuggestionEnd, SuggestionText
from .openai_engine import OpenAIEngine
from .policy import SuggestionPolicy
from .rules import ContextUpdate, RulesEngine, Suggestion
from .summary import summarize
from .tools import ToolRunner

log = logging.getLogger(__name__)
TREND_TURNS = 3


class Assistant(ModelCards):
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
            if settings.assistant_engine in ("openai", "local") else self.rules)
        # The model's answer to the last customer turn, streamed while the next events are
        # handled (a name said meanwhile still identifies the caller at once); cancelled by
        # the next customer turn, the end of the call, or closing.
        self._model_task: asyncio.Task | None = None
        # The transcript event being answered: its turn gets the latency marks, its end time
        # is "now" for the policy.
        self._trigger: TranscriptFinal | TranscriptPartial | None = None
        self._partial_text: dict[str, tuple[int, str]] = {}  # leg -> (turn, last partial)

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
        """Let go of what the engine holds: its answer in progress, the model client it
        made (if any)."""
        await self._stop_model_turn()
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
                await self._stop_model_turn()  # one request at a time: the summary's now
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
        if not isinstance(self.engine, OpenAIEngine):
            await self._show(self.engine.on_final(final, self.memory))
            return
        held: list[Suggestion] = []
        await self._show(self.engine.rules_part(final, self.memory, held))
        if final.leg == "customer":
            await self._stop_model_turn()
            self._model_task = asyncio.create_task(
                self._model_turn(final, held), name=f"model turn {self.call_id}:{final.turn}")

    async def _model_turn(self, final: TranscriptFinal, held: list[Suggestion]) -> None:
        try:
            await self._show(self.engine.model_part(self.memory, held), final)
        except Exception:  # a bug in one turn's answer must not end the assistant's others
            log.exception("the model's answer to turn %s failed", final.turn)

    async def settle(self) -> None:
        """Wait for the model's answer in progress, if any (evaluations, benchmarks, tests:
        a live call never waits for it)."""
        if self._model_task is not None:
            await asyncio.wait([self._model_task])

    async def _stop_model_turn(self) -> None:
        """Cancel the model's answer in progress and wait until it has let go: its card
        ended as interrupted, its response closed (so the server stops computing it)."""
        task, self._model_task = self._model_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # not ``await task``: that would re-raise its cancel

    async def _show(self, outputs, trigger: TranscriptFinal | TranscriptPartial | None = None
                    ) -> None:
        """Hand an engine's outputs to the agent: context at once, suggestions via the policy.
        ``trigger``: the turn they answer (default: the latest; a model's answer runs while
        later turns come).

        Cancelled or failing half-way, the engine's generator is closed at once (a model's
        response stream with it), and a card being streamed is ended as interrupted."""
        trigger = trigger or self._trigger
        card: StreamedCard | None = None
        async with aclosing(outputs) as outs:
            try:
                async for out in outs:
                    if isinstance(out, ContextUpdate):
                        self._publish_context(out)
                    elif isinstance(out, Suggestion):
                        await self._offer(out, trigger)
                    elif isinstance(out, SuggestionBegin):
                        card = StreamedCard(out, trigger)
                    elif isinstance(out, SuggestionText) and card is not None:
                        self._mark("model_first_token", trigger, once=card)
                        await self._stream_text(card, out.text)
                    elif isinstance(out, SuggestionEnd) and card is not None:
                        await self._end_stream(card, out.interrupted)
                        card = None
            finally:
                if card is not None:
                    await self._end_stream(card, interrupted=True)

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

    def _mark(self, name: str, trigger, once: "StreamedCard | None" = None) -> None:
        """A latency mark on ``trigger``'s turn (``once``: at most once for that card)."""
        if once is not None:
            if name in once.marked:
                return
            once.marked.add(name)
        if name == "first_token" and isinstance(trigger, TranscriptPartial):
            # Answered while the caller was still speaking: counted apart, so that "final →
            # first token" measures the turns answered from what was finally said.
            name = "early_token"
        if trigger is not None:
            self.publish(LatencyMark(call_id=self.call_id, leg=trigger.leg,
                                     turn=trigger.turn, name=name))

    async def _offer(self, s: Suggestion, trigger) -> None:
        """A whole suggestion from an engine: through the policy, then word by word."""
        decision = self.policy.decide(kind=s.kind, priority=s.priority, key=s.policy_key,
                                      text=s.text, confidence=s.confidence, at=_at(trigger))
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
                self._mark("first_token", trigger)
            if self.settings.token_delay_s:
                await asyncio.sleep(self.settings.token_delay_s)
        self._done(sid, s.kind, s.priority, s.topic, s.text, s.policy_key, s.sources, trigger)

    def _done(self, sid: str, kind: str, priority: str, topic: str, text: str, key: str,
              sources: tuple[dict[str, str], ...], trigger) -> None:
        self.policy.shown(sid, kind=kind, key=key, text=text, at=_at(trigger))
        self.memory.shown += 1
        self.publish(SuggestionDone(call_id=self.call_id, suggestion_id=sid, kind=kind,
                                    priority=priority, topic=topic, message=text,
                                    sources=sources))
        self._mark("suggestion_done", trigger)

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


def _at(trigger) -> float:
    """Now, for the policy: the end of the turn being answered, in call time."""
    return trigger.end if trigger is not None else 0.0
