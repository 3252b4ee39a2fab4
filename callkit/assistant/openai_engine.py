"""The optional engine: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

The model sees the recent transcript (personal data redacted) and what is known of the caller,
may call the same tools as the rules engine, and answers with one JSON object whose
``message`` is streamed to the agent as it arrives. Identification, the customer panel and the
deterministic alerts still come from the rules engine, so the panel never waits on a model.
If the endpoint fails, times out, streams garbage or calls a tool with bad arguments, the
rules engine's suggestions for that turn are shown instead, with an alert saying so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ..config import Settings
from ..events import TranscriptFinal
from .fallback_deadline import LATE, marking_late
from .memory import CallMemory
from .model_output import (MessageStream, StreamOutput, SuggestionBegin, SuggestionEnd,
                           SuggestionText, confidence_of, model_topic)
from .redact import redact
from .rules import RulesEngine, Suggestion
from .sources import Source, source, tool_sources
from .summary import Summary, summarize
from .tools import TOOL_SCHEMAS, ToolRunner

SYSTEM_PROMPT = """You are an AI assistant helping a call center agent in real-time.
Analyze the customer conversation and provide:
1. Immediate suggestions (what to say next)
2. Relevant customer information (from context)
3. Policy guidance (return policy, SLA, etc.)
4. Risk alerts (angry customer, churn risk)
5. Upsell opportunities (relevant products)

Respond in short, actionable suggestions that appear in real-time.
Format: JSON with type (suggestion|alert|info) and message.
Answer with exactly one JSON object and nothing else, keys in this order:
{"type": "suggestion", "priority": "low|normal|high", "topic": "TOPIC", "confidence": 0.8,
"message": "..."}
TOPIC is one of: order_status, shipping, return_policy, billing, verify_identity, churn,
escalation, upsell, policy_violation, frustration, callback, other. "confidence" is optional: how sure you are that the suggestion helps, from 0
to 1. Keep the message under 40 words. Use the tools to look up customers, orders and return
policies; never invent order details, dates or amounts. If there is nothing useful to add,
answer {"type": "none"}."""

SUMMARY_PROMPT = """Summarize this support call for the CRM. Answer with one JSON object:
{"reason": "...", "resolution": "...", "action_items": ["..."], "sentiment":
"positive|neutral|negative", "text": "3-4 sentences"}"""

log = logging.getLogger(__name__)
MAX_TOOL_ROUNDS = 3
TRANSCRIPT_TURNS = 12

class EngineFailure(Exception):
    """The model could not produce a suggestion for this turn."""


def _context_message(memory: CallMemory) -> str:
    """What the model is told of the call. Every line is redacted: the transcript, and also
    what the agent promised ("I'll e-mail it to …") and the customer record's own words."""
    lines = []
    if memory.customer:
        c = memory.customer
        lines.append(f"Customer: {c['name']}, account #{c['account_number']}, {c['tier']} tier, "
                     f"lifetime value ${c['lifetime_value']:,.2f}.")
        for o in (memory.context or {}).get("orders", [])[:3]:
            lines.append(f"Order #{o['order_number']}: {o['product_name']} ({o['product_id']}), "
                         f"{o['status']}.")
    else:
        lines.append("Customer not identified yet.")
    if memory.topics:
        lines.append("Topics so far: " + ", ".join(memory.topics) + ".")
    if memory.commitments:
        lines.append("Agent commitments: " + "; ".join(memory.commitments) + ".")
    lines.append("Transcript (most recent last):")
    for turn in memory.turns[-TRANSCRIPT_TURNS:]:
        lines.append(f"{turn.leg}: {turn.text}")
    # Line by line: a pattern must not match across two lines.
    return "\n".join(redact(line) for line in lines)


class OpenAIEngine:
    """Every response stream is closed once read, failed, timed out or abandoned (a consumer
    that stops iterating must close the generator: ``contextlib.aclosing``). A client the
    engine made itself is closed by :meth:`aclose` (the stage calls it when the call ends);
    one handed in belongs to the caller."""

    def __init__(self, settings: Settings, tools: ToolRunner, rules: RulesEngine, client=None):
        from openai import AsyncOpenAI

        self.settings = settings
        self.tools = tools
        self.rules = rules
        self._owns_client = client is None
        self.client = client or AsyncOpenAI(
            base_url=settings.openai_base_url, api_key=settings.openai_api_key or "none",
            timeout=settings.openai_timeout_s, max_retries=0)

    async def aclose(self) -> None:
        """Close the client if the engine made it (its connections go with it)."""
        if self._owns_client:
            await self.client.close()

    async def on_final(self, final: TranscriptFinal,
                       memory: CallMemory) -> AsyncIterator[StreamOutput]:
        fallback: list[Suggestion] = []
        async with aclosing(self.rules.on_final(final, memory)) as outs:
            async for out in outs:
                if isinstance(out, Suggestion) and out.kind == "suggestion":
                    fallback.append(out)
                else:
                    yield out
        if final.leg != "customer":
            return
        begun = False
        try:
            # Past the fallback deadline without a word from the model, the rules' tips are
            # shown (once); the model may still answer after them.
            async with aclosing(self._ask(memory)) as asked, \
                    aclosing(marking_late(asked, self.settings.openai_fallback_s)) as pieces:
                async for piece in pieces:
                    if piece is LATE:
                        for out in fallback:
                            yield out
                        fallback = []
                        continue
                    begun = begun or isinstance(piece, SuggestionBegin)
                    yield piece
        except EngineFailure as exc:
            if begun:
                yield SuggestionEnd(interrupted=True)
            yield Suggestion("alert", "normal", "engine",
                             f"AI model unavailable ({exc}); showing rule-based suggestions.",
                             key=f"engine:{exc}", confidence=1.0,
                             sources=(source("model", f"the request failed: {exc}",
                                             self.settings.openai_model),))
            for out in fallback:
                yield out

    async def _ask(self, memory: CallMemory) -> AsyncIterator[StreamOutput]:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _context_message(memory)},
        ]
        cited: list[Source] = []
        for _ in range(MAX_TOOL_ROUNDS):
            stream = MessageStream()
            calls: dict[int, dict[str, str]] = {}
            begun = False
            async with aclosing(self._deltas(messages)) as deltas:
                async for delta in deltas:
                    for call in delta.tool_calls or ():
                        slot = calls.setdefault(call.index,
                                                {"id": "", "name": "", "arguments": ""})
                        slot["id"] = call.id or slot["id"]
                        if call.function is not None:
                            slot["name"] += call.function.name or ""
                            slot["arguments"] += call.function.arguments or ""
                    if delta.content:
                        piece = stream.feed(delta.content)
                        if stream.header is not None and not begun:
                            begun = True
                            yield self._begin(stream.header, tuple(cited))
                        if piece:
                            yield SuggestionText(piece)
            if calls:
                cited += await self._run_tools(messages, calls)
                continue
            if begun:
                if not stream.closed:  # the stream ended mid-message (no closing quote)
                    raise EngineFailure("answer cut off")
                yield SuggestionEnd()
                return
            if stream.declined():
                return
            raise EngineFailure("unreadable answer")
        raise EngineFailure("too many tool calls")

    @staticmethod
    def _begin(header: dict[str, str], sources: tuple[Source, ...]) -> SuggestionBegin:
        kind = header.get("type", "suggestion")
        kind = kind if kind in ("suggestion", "alert", "info") else "suggestion"
        priority = header.get("priority", "normal")
        return SuggestionBegin(
            kind=kind, priority=priority if priority in ("low", "normal", "high") else "normal",
            topic=model_topic(header.get("topic", ""), kind), sources=sources,
            confidence=confidence_of(header.get("confidence")))

    async def _deltas(self, messages: list[dict[str, Any]]):
        """The streamed deltas of one completion; any failure becomes an EngineFailure.

        The response is closed however this ends: read to the end, an error or a timeout
        mid-stream, a cancellation, or the consumer closing this generator early."""
        timeout = self.settings.openai_timeout_s
        response = None
        try:
            # asyncio.timeout, not wait_for, which can swallow a cancellation (deadline.py).
            # (Cancelled while connecting, the client closes the half-made request itself.)
            async with asyncio.timeout(timeout):
                response = await self.client.chat.completions.create(
                    model=self.settings.openai_model, messages=messages, tools=TOOL_SCHEMAS,
                    stream=True, temperature=0.2)
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        chunk = await response.__anext__()
                except StopAsyncIteration:
                    return
                if chunk.choices:
                    yield chunk.choices[0].delta
        except asyncio.CancelledError:
            raise
        except (asyncio.TimeoutError, TimeoutError):
            raise EngineFailure("timed out") from None
        except Exception as exc:  # the client raises many kinds; all mean "no answer"
            raise EngineFailure(_describe(exc)) from exc
        finally:
            if response is not None:
                await _close_stream(response)

    async def _run_tools(self, messages: list[dict[str, Any]],
                         calls: dict[int, dict[str, str]]) -> list[Source]:
        """Run the model's tool calls, hand it the results; returns them as citable facts."""
        cited: list[Source] = []
        ordered = [calls[i] for i in sorted(calls)]
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}} for c in ordered]})
        for call in ordered:
            if call["name"] not in self.tools.tools:  # a model that invents tools is not trusted
                raise EngineFailure(f"unknown tool {call['name'][:40]!r}")
            try:
                arguments = json.loads(call["arguments"] or "{}")
            except json.JSONDecodeError:
                raise EngineFailure(f"bad arguments for {call['name'] or 'a tool'}") from None
            if not isinstance(arguments, dict):
                raise EngineFailure(f"bad arguments for {call['name']}")
            result = await self.tools.call(call["name"], arguments)
            messages.append({"role": "tool", "tool_call_id": call["id"],
                             "content": redact(json.dumps(result, default=str))})
            cited += [s for s in tool_sources(call["name"], result) if s not in cited]
        return cited

    async def summarize(self, memory: CallMemory) -> tuple[Summary, str]:
        """The model's summary, or the deterministic one if the model fails."""
        fallback = summarize(memory)
        try:
            async with asyncio.timeout(self.settings.openai_timeout_s):
                response = await self.client.chat.completions.create(
                    model=self.settings.openai_model, temperature=0.2,
                    messages=[{"role": "system", "content": SUMMARY_PROMPT},
                              {"role": "user", "content": _context_message(memory)}])
            data = json.loads(_json_object(response.choices[0].message.content or ""))
            items = tuple(str(i) for i in data.get("action_items", ()))
            sentiment = data.get("sentiment", fallback.sentiment)
            return Summary(reason=str(data["reason"]), resolution=str(data["resolution"]),
                           action_items=items or fallback.action_items,
                           sentiment=sentiment if sentiment in ("positive", "neutral", "negative")
                           else fallback.sentiment, text=str(data["text"])), "openai"
        except asyncio.CancelledError:
            raise
        except Exception:
            return fallback, "rules (model failed)"


async def _close_stream(stream) -> None:
    """Close a streamed response and release its connection; never raises."""
    try:
        # The SDK parses the stream in an async generator: closed here, not left to the
        # garbage collector (whose finalizer would close it later, in a task of its own).
        parser = getattr(stream, "_iterator", None)
        if parser is not None and hasattr(parser, "aclose"):
            await parser.aclose()
        await stream.close()
    except Exception:  # closing a broken connection can fail; it is gone either way
        log.debug("closing a model response failed", exc_info=True)


def _json_object(text: str) -> str:
    match = re.search(r"\{.*\}", text, re.S)
    if match is None:
        raise ValueError("no JSON object")
    return match.group(0)


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status:
        return f"HTTP {status}"
    if "Connection" in name:
        return "cannot connect"
    if "Timeout" in name:
        return "timed out"
    return f"bad response ({name})"
