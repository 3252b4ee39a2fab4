"""The end-of-call summary written by a model: its words (reason, resolution, text,
sentiment); the action items stay the rules' (what the agent promised and did, kept
exactly: a small model gets them wrong). If the model fails, the rules' summary."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .memory import CallMemory
from .model_prompt import (LOCAL_SEED, SUMMARY_PROMPT, SUMMARY_SCHEMA, context_message,
                           first_object, response_format)
from .summary import Summary, summarize

log = logging.getLogger(__name__)
SENTIMENTS = ("positive", "neutral", "negative")


async def model_summary(engine, memory: CallMemory) -> tuple[Summary, str]:
    """``engine``: the OpenAIEngine of the call. Returns the summary and who wrote it."""
    fallback = summarize(memory)
    request: dict[str, Any] = {
        "model": engine.model_name, "temperature": 0.2,
        "messages": [{"role": "system", "content": SUMMARY_PROMPT},
                     {"role": "user", "content": context_message(
                         memory, whole_call=engine.structured)}]}
    if engine.structured:
        request.update(response_format=response_format("summary", SUMMARY_SCHEMA),
                       max_tokens=400, seed=LOCAL_SEED)
    try:
        await engine.connect()
        # Well within the call's own deadline for its summary (Call.close), which also covers
        # waiting for the model's last card to let go: when the model is too slow, the
        # rules' summary is written instead of none.
        async with asyncio.timeout(engine.settings.end_timeout_s * 0.5):
            response = await engine.client.chat.completions.create(**request)
        data = first_object(response.choices[0].message.content or "")
        sentiment = data.get("sentiment")
        return Summary(reason=str(data["reason"]), resolution=str(data["resolution"]),
                       action_items=fallback.action_items,
                       sentiment=sentiment if sentiment in SENTIMENTS else fallback.sentiment,
                       text=str(data["text"])), engine.settings.assistant_engine
    except asyncio.CancelledError:
        raise
    except Exception:
        log.info("the model's summary failed; the rules wrote it", exc_info=True)
        return fallback, "rules (model failed)"
