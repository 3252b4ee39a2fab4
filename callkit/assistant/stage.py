"""The assistant stage: finals in; customer context, streamed suggestions and a summary out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..events import (CallEnded, CallSummary, CustomerContext, Event, SuggestionDone,
                      SuggestionStarted, SuggestionToken, ToolCall, TranscriptFinal)
from .memory import CallMemory
from .rules import ContextUpdate, RulesEngine, Suggestion
from .summary import summarize
from .tools import ToolRunner


class Assistant:
    def __init__(self, call_id: str, settings: Settings, run_db: Callable[..., Any],
                 publish: Callable[[Event], None]):
        self.call_id = call_id
        self.settings = settings
        self.publish = publish
        self.memory = CallMemory()
        self.engine = RulesEngine(ToolRunner(run_db, self._report_tool))

    def _report_tool(self, name: str, arguments: dict, result: dict, seconds: float) -> None:
        self.publish(ToolCall(call_id=self.call_id, name=name, arguments=arguments,
                              result=result, duration_s=round(seconds, 4)))

    async def handle(self, event: Event) -> None:
        if isinstance(event, TranscriptFinal):
            self.memory.add_turn(event.leg, event.text, event.start)
            async for out in self.engine.on_final(event, self.memory):
                if isinstance(out, ContextUpdate):
                    self._publish_context(out)
                else:
                    await self._stream(out)
        elif isinstance(event, CallEnded):
            summary = summarize(self.memory)
            customer = self.memory.customer
            self.publish(CallSummary(
                call_id=self.call_id, reason=summary.reason, resolution=summary.resolution,
                action_items=summary.action_items, sentiment=summary.sentiment,
                text=summary.text, customer_id=customer["id"] if customer else None))

    def _publish_context(self, update: ContextUpdate) -> None:
        ctx = update.context or {}
        self.publish(CustomerContext(
            call_id=self.call_id, customer=ctx.get("customer"),
            orders=tuple(ctx.get("orders", ())), tickets=tuple(ctx.get("tickets", ())),
            notes=tuple(ctx.get("notes", ())), candidates=update.candidates,
            reason=update.reason))

    async def _stream(self, suggestion: Suggestion) -> None:
        """Publish a suggestion word by word, the way a model's tokens would arrive."""
        sid = uuid.uuid4().hex[:12]
        self.publish(SuggestionStarted(call_id=self.call_id, suggestion_id=sid,
                                       kind=suggestion.kind, priority=suggestion.priority,
                                       topic=suggestion.topic))
        words = suggestion.text.split(" ")
        for i, word in enumerate(words):
            self.publish(SuggestionToken(call_id=self.call_id, suggestion_id=sid,
                                         text=word if i == 0 else " " + word))
            if self.settings.token_delay_s:
                await asyncio.sleep(self.settings.token_delay_s)
        self.publish(SuggestionDone(call_id=self.call_id, suggestion_id=sid,
                                    kind=suggestion.kind, priority=suggestion.priority,
                                    topic=suggestion.topic, message=suggestion.text))
