"""The model engine against the real local model: llama.cpp's server in this process
(xllamacpp) with Qwen2.5-Coder-0.5B-Instruct, assembled from its PyPI packages and checked.

One server for the module (loading takes seconds); the model samples with a fixed seed, so
each test sees the same answers run after run."""

import os
import socket
from urllib.parse import urlparse

import openai
import pytest
import pytest_asyncio

from callkit.assistant.memory import CallMemory
from callkit.assistant.model_output import (MODEL_TOPICS, SuggestionBegin, SuggestionEnd,
                                            SuggestionText)
from callkit.assistant.model_prompt import card_schema
from callkit.assistant.openai_engine import OpenAIEngine
from callkit.assistant.rules import RulesEngine, Suggestion
from callkit.assistant.stage import Assistant
from callkit.assistant.tools import ToolRunner
from callkit.bus import Bus
from callkit.config import Settings
from callkit.events import CallEnded, CallSummary, LatencyMark, SuggestionDone, TranscriptFinal
from callkit.llm import local_server
from tests.conftest import SEED_DAY

pytestmark = pytest.mark.slow

# Generous deadlines: a loaded CI machine writes slowly, and what these tests check is what
# the model writes (the deadlines' fallbacks are tested against the stub server).
LOCAL = Settings(assistant_engine="local", token_delay_s=0, openai_timeout_s=60.0,
                 openai_fallback_s=60.0, end_timeout_s=240.0)
SAID = "Hi, where is my order seven eight nine oh one? I ordered headphones last week."


@pytest.fixture(scope="module")
def server():
    yield local_server.shared_server(LOCAL)
    local_server.close_local_server()


@pytest_asyncio.fixture
async def engine(fixed_con, server):
    made = []

    def make(settings=LOCAL, cls=OpenAIEngine):
        async def run(fn, *args):
            return fn(fixed_con, *args)

        tools = ToolRunner(run, lambda *a: calls.append(a[:3]), today=SEED_DAY)
        made.append(cls(settings, tools, RulesEngine(tools, today=SEED_DAY)))
        return made[-1]

    calls: list[tuple] = []
    make.calls = calls
    yield make
    for e in made:
        await e.aclose()


def memory_of(*turns):
    memory = CallMemory()
    for leg, text in turns:
        memory.add_turn(leg, text, 0.0)
    return memory


async def answer(engine, memory):
    return [out async for out in engine.model_part(memory, [])]


async def test_the_server_listens_on_loopback_and_wants_its_token(server):
    url = urlparse(server.base_url)
    assert url.hostname == "127.0.0.1"
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
    try:
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(
                model="local", messages=[{"role": "user", "content": "hi"}], max_tokens=1)
    finally:
        await client.close()


async def test_a_turn_streams_a_card_in_the_seeds_format(engine):
    outs = await answer(engine(), memory_of(("agent", "Thanks for calling, how can I help?"),
                                            ("customer", SAID)))
    begin = outs[0]
    assert isinstance(begin, SuggestionBegin)
    assert begin.kind in ("suggestion", "alert", "info")
    assert begin.topic in MODEL_TOPICS | {begin.kind}
    pieces = [o.text for o in outs if isinstance(o, SuggestionText)]
    assert len(pieces) >= 5 and len("".join(pieces).split()) >= 5  # streamed, as written
    assert isinstance(outs[-1], SuggestionEnd)


async def test_a_tool_call_written_by_the_model_goes_round_trip(engine):
    """The model is made to choose a tool first (as ``tool_choice="required"`` would): its
    call, written as JSON within the schema, is run on the seeded database and the result
    goes back; the card that follows cites it."""
    class ToolFirst(OpenAIEngine):
        def _request(self, messages, with_tools):
            request = super()._request(messages, with_tools)
            if with_tools and not any(m["role"] == "user" and m["content"].startswith(
                    "Result of") for m in messages[-1:]):
                schema = card_schema(True)
                schema["anyOf"] = [c for c in schema["anyOf"] if "tool" in c["properties"]]
                request["response_format"]["json_schema"]["schema"] = schema
            return request

    model = engine(cls=ToolFirst)
    outs = await answer(model, memory_of(("customer", SAID)))
    name, arguments, result = engine.calls[0]
    assert name in {"get_order_status", "lookup_customer", "check_return_policy",
                    "search_knowledge"} and isinstance(arguments, dict)
    begin = next(o for o in outs if isinstance(o, SuggestionBegin))
    assert begin.sources, "the card cites what the tool returned"
    assert isinstance(outs[-1], SuggestionEnd)


async def test_a_model_past_its_timeout_leaves_the_turn_to_the_rules(engine):
    memory = memory_of(("customer", SAID))
    held = [Suggestion("suggestion", "normal", "order_status", "Check order #78901.",
                       key="order:78901", confidence=1.0)]
    slow = engine(LOCAL.replace(openai_timeout_s=0.001))
    outs = [out async for out in slow.model_part(memory, list(held))]
    alert, tip = outs
    assert alert.kind == "alert" and "timed out" in alert.text
    assert tip == held[0]


async def test_a_call_through_the_stage_streams_cards_and_gets_the_models_summary(
        fixed_con, server):
    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    bus, events = Bus(), []
    assistant = Assistant("c", LOCAL, run_db, bus.publish, today=SEED_DAY)
    bus.subscribe(assistant.handle, TranscriptFinal, CallEnded)
    bus.subscribe(events.append)
    turns = [("agent", "Thanks for calling, this is Sam. How can I help?"), ("customer", SAID),
             ("agent", "Let me check that order for you."),
             ("customer", "Thank you. It's for my daughter's birthday on Friday.")]
    for i, (leg, text) in enumerate(turns):
        bus.publish(TranscriptFinal(call_id="c", leg=leg, text=text, start=i * 5.0,
                                    end=i * 5.0 + 4, turn=i))
        await bus.drain()
        await assistant.settle()
        await bus.drain()
    bus.publish(CallEnded(call_id="c"))
    await bus.drain()
    await bus.close()
    await assistant.aclose()
    marks = {e.name for e in events if isinstance(e, LatencyMark)}
    assert {"model_first_token", "model_done"} <= marks
    assert any(isinstance(e, SuggestionDone) for e in events)
    summary, = (e for e in events if isinstance(e, CallSummary))
    assert summary.written_by == "local" and len(summary.text.split()) >= 5


def test_closing_the_server_leaves_no_port_and_no_thread(server):
    def os_threads():
        return len(os.listdir("/proc/self/task"))

    before = os_threads()  # xllamacpp keeps one thread from its first start: already there
    second = local_server.LocalModelServer(local_server.spec_of(LOCAL))
    url = urlparse(second.base_url)
    assert os_threads() > before
    second.close()
    with pytest.raises(OSError):
        socket.create_connection((url.hostname, url.port), timeout=2).close()
    assert os_threads() <= before  # (other threads may have ended meanwhile)
