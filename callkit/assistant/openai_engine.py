"""The model engine: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp),
or (``local``) a small model served by llama.cpp inside this process (callkit/llm).

The model sees the call (personal data redacted) and what is known of the caller, may call
the same tools as the rules engine, and answers with one JSON object whose ``message`` is
streamed to the agent as it arrives. Identification, the customer panel and the
deterministic alerts always come from the rules engine, so the panel never waits on a model.
In ``hybrid`` mode (the default) the rules' tips are shown at once too and the model adds
its card; in ``model`` mode the rules' tips are shown only if the model has said nothing by
the fallback deadline or fails. A failure (refused, timed out, garbage, a bad tool call)
also raises an alert saying so.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ..config import Settings
from ..events import TranscriptFinal
from ..packaged_files import ModelNotAvailable
from .fallback_deadline import LATE, marking_late
from .memory import CallMemory
from .model_output import (Grounding, MessageStream, StreamOutput, SuggestionBegin,
                           SuggestionEnd, SuggestionText, card_problem, confidence_of,
                           model_topic)
from .model_client import close_stream, describe, new_client
from .model_prompt import (EXAMPLE_MESSAGES, LOCAL_SEED, card_schema, content_tool_call,
                           response_format, tool_result_message)
from .model_prompt import messages as prompt_messages
from .model_summary import model_summary
from .redact import redact
from .rules import RulesEngine, Suggestion
from .sources import Source, new_tool_sources, source
from .summary import Summary
from .tools import TOOL_SCHEMAS, ToolRunner

log = logging.getLogger(__name__)
MAX_TOOL_ROUNDS = 3


class EngineFailure(Exception):
    """The model could not produce a suggestion for this turn."""


class OpenAIEngine:
    """Every response stream is closed once read, failed, timed out or abandoned (a consumer
    that stops iterating must close the generator: ``contextlib.aclosing``). A client the
    engine made itself is closed by :meth:`aclose` (the stage calls it when the call ends);
    one handed in belongs to the caller."""

    def __init__(self, settings: Settings, tools: ToolRunner, rules: RulesEngine, client=None):
        self.settings = settings
        self.tools = tools
        self.rules = rules
        self.local = settings.assistant_engine == "local"
        self.hybrid = settings.assistant_mode == "hybrid"
        # The local model answers within a JSON schema (it cannot be trusted with free text
        # or native tool calls); it sees the whole call, for its prompt cache.
        self.structured = self.local
        self.model_name = "local" if self.local else settings.openai_model
        self._owns_client = client is None
        self.client = client
        if client is None and not self.local:
            self.client = new_client(settings, settings.openai_base_url,
                                     settings.openai_api_key or "none")

    async def connect(self) -> None:
        """Make sure the endpoint is there: the local server is started (shared by every
        call of the process; loading takes seconds, the first time also the model's
        assembly) before the first request, not inside its timeout."""
        if self.client is None:
            from ..llm.local_server import local_server

            server = await local_server(self.settings)
            self.client = new_client(self.settings, server.base_url, server.api_key,
                                     keep_alive=False)
            if not server.warmed:
                server.warmed = True
                await self._warm_up()

    async def _warm_up(self) -> None:
        """Have the server read the system prompt and the worked examples once, before any
        turn: they begin every prompt, so its cache keeps them and a turn's request reads
        only the call (else the first turn waits seconds for them, and may time out)."""
        chat = prompt_messages(CallMemory())
        try:
            await self.client.chat.completions.create(
                model=self.model_name, messages=chat, max_tokens=1,
                timeout=max(self.settings.openai_timeout_s, 60.0))
        except Exception as exc:  # the turn's own request will say what is wrong
            log.warning("warming up the local model failed: %s", describe(exc))

    async def aclose(self) -> None:
        """Close the client if the engine made it (its connections go with it)."""
        if self._owns_client and self.client is not None:
            await self.client.close()

    async def on_final(self, final: TranscriptFinal,
                       memory: CallMemory) -> AsyncIterator[StreamOutput]:
        """The whole turn: the rules' part, then the model's."""
        held: list[Suggestion] = []
        async with aclosing(self.rules_part(final, memory, held)) as outs:
            async for out in outs:
                yield out
        if final.leg == "customer":
            async with aclosing(self.model_part(memory, held)) as outs:
                async for out in outs:
                    yield out

    async def rules_part(self, final: TranscriptFinal, memory: CallMemory,
                         held: list[Suggestion]) -> AsyncIterator[StreamOutput]:
        """The rules' answer to the turn, at once; in ``model`` mode their tips go to
        ``held`` instead, for :meth:`model_part` to show if the model does not answer."""
        async with aclosing(self.rules.on_final(final, memory)) as outs:
            async for out in outs:
                if not self.hybrid and isinstance(out, Suggestion) and out.kind == "suggestion":
                    held.append(out)
                else:
                    yield out

    async def model_part(self, memory: CallMemory,
                         held: list[Suggestion]) -> AsyncIterator[StreamOutput]:
        begun = False
        try:
            try:
                await self.connect()
            except ModelNotAvailable as exc:  # e.g. the [llm] extra is not installed
                raise EngineFailure(str(exc)) from None
            # Past the fallback deadline without a word from the model, the held tips are
            # shown (once); the model may still answer after them.
            async with aclosing(self._ask(memory)) as asked, \
                    aclosing(marking_late(asked, self.settings.openai_fallback_s)) as pieces:
                async for piece in pieces:
                    if piece is LATE:
                        for out in held:
                            yield out
                        held = []
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
                                             self.model_name),))
            for out in held:
                yield out

    async def _ask(self, memory: CallMemory) -> AsyncIterator[StreamOutput]:
        messages = prompt_messages(memory, whole_call=self.local)
        cited: list[Source] = []
        for round_ in range(MAX_TOOL_ROUNDS):
            # What the model was told this turn (tool results included), not the examples:
            # a small model's card is cut where it writes what it was not told.
            grounding = Grounding.of("\n".join(m["content"] or ""
                                                for m in messages[EXAMPLE_MESSAGES:]))
            stream = MessageStream()
            calls: dict[int, dict[str, str]] = {}
            begun = False
            with_tools = round_ < MAX_TOOL_ROUNDS - 1
            async with aclosing(self._deltas(messages, with_tools)) as deltas:
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
                            problem = card_problem(stream.message, grounding, stream.closed
                                                   ) if self.structured else None
                            if problem is not None:
                                # Cut where it goes wrong: what was held back is never
                                # shown, what was shown ends as interrupted.
                                log.info("model card cut (%s): %s", problem, stream.message)
                                yield SuggestionEnd(interrupted=True)
                                return
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
            written = content_tool_call(stream.buffer)
            if written is not None:  # a tool call written as JSON in the content
                cited += await self._run_written_tool(messages, stream.buffer, *written)
                continue
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

    def _request(self, messages: list[dict[str, Any]], with_tools: bool) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model_name, "messages": messages,
                                   "stream": True, "temperature": 0.2}
        if self.structured:
            request["response_format"] = response_format("card", card_schema(with_tools))
            request["max_tokens"] = 160
            request["seed"] = LOCAL_SEED
        elif with_tools:
            request["tools"] = TOOL_SCHEMAS
        return request

    async def _deltas(self, messages: list[dict[str, Any]], with_tools: bool = True):
        """The streamed deltas of one completion; any failure becomes an EngineFailure.

        The response is closed however this ends: read to the end, an error or a timeout
        mid-stream, a cancellation, or the consumer closing this generator early. (Closing
        it is also what stops llama.cpp computing an answer nobody waits for.)"""
        timeout = self.settings.openai_timeout_s
        response = None
        try:
            # asyncio.timeout, not wait_for, which can swallow a cancellation (deadline.py).
            # (Cancelled while connecting, the client closes the half-made request itself.)
            async with asyncio.timeout(timeout):
                response = await self.client.chat.completions.create(
                    **self._request(messages, with_tools))
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
            raise EngineFailure(describe(exc, answering=response is not None)) from exc
        finally:
            if response is not None:
                await close_stream(response)

    async def _run_tools(self, messages: list[dict[str, Any]],
                         calls: dict[int, dict[str, str]]) -> list[Source]:
        """Run the model's native tool calls, hand it the results; returns them as citable
        facts."""
        cited: list[Source] = []
        ordered = [calls[i] for i in sorted(calls)]
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}} for c in ordered]})
        for call in ordered:
            try:
                arguments = json.loads(call["arguments"] or "{}")
            except json.JSONDecodeError:
                raise EngineFailure(f"bad arguments for {call['name'][:40] or 'a tool'}") from None
            result = await self._tool(call["name"], arguments)
            messages.append({"role": "tool", "tool_call_id": call["id"],
                             "content": redact(json.dumps(result, default=str))})
            cited += new_tool_sources(cited, call["name"], result)
        return cited

    async def _run_written_tool(self, messages: list[dict[str, Any]], content: str, name: str,
                                arguments: dict[str, Any]) -> list[Source]:
        """A tool call the model wrote in its content: run by the same tools, its result
        handed back as the next user message (there is no call id to answer to)."""
        result = await self._tool(name, arguments)
        messages.append({"role": "assistant", "content": content})
        messages.append({"role": "user", "content": tool_result_message(name, result)})
        return new_tool_sources([], name, result)

    async def _tool(self, name: str, arguments: Any) -> dict[str, Any]:
        if name not in self.tools.tools:  # a model that invents tools is not trusted
            raise EngineFailure(f"unknown tool {name[:40]!r}")
        if not isinstance(arguments, dict):
            raise EngineFailure(f"bad arguments for {name}")
        return await self.tools.call(name, arguments)

    async def summarize(self, memory: CallMemory) -> tuple[Summary, str]:
        """The model's summary (model_summary.py), or the rules' if it fails."""
        return await model_summary(self, memory)

