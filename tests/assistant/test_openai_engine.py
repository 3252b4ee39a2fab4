"""The OpenAI-compatible engine against a real local server speaking the streaming protocol."""

import json

import pytest_asyncio

from callkit.assistant.memory import CallMemory
from callkit.assistant.openai_engine import (OpenAIEngine, SuggestionBegin, SuggestionEnd,
                                             SuggestionText)
from callkit.assistant.rules import ContextUpdate, RulesEngine, Suggestion
from callkit.assistant.tools import ToolRunner
from callkit.config import Settings
from callkit.events import TranscriptFinal
from tests.conftest import SEED_DAY
from callkit.bench.openai_stub import (FakeOpenAIServer, Scenario, content_chunks,
                                         tool_call_chunks)

ANSWER = ('{"type": "suggestion", "priority": "normal", "topic": "order", "message": '
          '"Tell Sarah her headphones shipped yesterday via FedEx and arrive Friday \\"Nov 27\\"."}')


@pytest_asyncio.fixture
async def server():
    srv = await FakeOpenAIServer().start()
    yield srv
    await srv.close()


def make_engine(con, base_url, token, timeout=2.0):
    async def run(fn, *args):
        return fn(con, *args)

    settings = Settings(assistant_engine="openai", openai_base_url=base_url,
                        openai_api_key=token, openai_timeout_s=timeout)
    tools = ToolRunner(run, lambda *a: None)
    return OpenAIEngine(settings, tools, RulesEngine(tools, today=SEED_DAY))


async def ask(engine, text="Hi, I'm Sarah Johnson, order seven eight nine oh one. "
                           "My email is sarah dot johnson at example dot com."):
    memory = CallMemory()
    memory.add_turn("customer", text, 0.0)
    final = TranscriptFinal(call_id="c", leg="customer", text=text, start=0.0, end=3.0)
    outs = [o async for o in engine.on_final(final, memory)]
    return outs, memory


async def test_tool_call_then_streamed_answer(fixed_con, server):
    server.scenarios = [
        Scenario(chunks=tool_call_chunks("call_1", "get_order_status", '{"order_id": "78901"}')),
        Scenario(chunks=content_chunks(ANSWER)),
    ]
    outs, memory = await ask(make_engine(fixed_con, server.base_url, server.token))
    assert isinstance(outs[0], ContextUpdate)  # the panel comes from local lookups
    begin = next(o for o in outs if isinstance(o, SuggestionBegin))
    assert (begin.kind, begin.priority, begin.topic) == ("suggestion", "normal", "order")
    # It cites what the tool it called returned for this answer, and only that.
    fact, = (s["fact"] for s in begin.sources)
    assert fact.startswith("order #78901 (Aurora ANC Wireless Headphones") and "FedEx" in fact
    text = "".join(o.text for o in outs if isinstance(o, SuggestionText))
    assert text == 'Tell Sarah her headphones shipped yesterday via FedEx and arrive Friday "Nov 27".'
    assert len([o for o in outs if isinstance(o, SuggestionText)]) > 5  # streamed in pieces
    assert isinstance(outs[-1], SuggestionEnd) and not outs[-1].interrupted
    # Rules' own order tip is not shown when the model answers.
    assert not any(isinstance(o, Suggestion) and o.kind == "suggestion" for o in outs)
    first, second = server.requests
    assert first["stream"] and {t["function"]["name"] for t in first["tools"]} == {
        "lookup_customer", "get_order_status", "check_return_policy"}
    sent = json.dumps(first["messages"])
    assert "sarah dot johnson" not in sent and "[email]" in sent  # PII redacted
    tool_msg = second["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_1"
    assert "FedEx" in tool_msg["content"]


async def fallback_of(outs):
    alert = next(o for o in outs if isinstance(o, Suggestion) and o.topic == "engine")
    tips = [o for o in outs if isinstance(o, Suggestion) and o.kind == "suggestion"]
    return alert, tips


async def test_server_down_falls_back_to_rules_with_an_alert(fixed_con):
    engine = make_engine(fixed_con, "http://127.0.0.1:9/v1", "x")
    outs, _ = await ask(engine)
    alert, tips = await fallback_of(outs)
    assert alert.kind == "alert" and "cannot connect" in alert.text
    assert alert.sources == ({"kind": "model", "name": engine.settings.openai_model,
                              "fact": "the request failed: cannot connect"},)
    assert all(t.sources for t in tips)  # the rules' own tips keep theirs
    assert any("#78901" in t.text for t in tips)


async def test_a_slow_server_times_out(fixed_con, server):
    server.scenarios = [Scenario(chunks=content_chunks(ANSWER), delay_s=3.0)]
    outs, _ = await ask(make_engine(fixed_con, server.base_url, server.token, timeout=0.5))
    alert, tips = await fallback_of(outs)
    assert "timed out" in alert.text and tips


async def test_malformed_chunks_interrupt_and_fall_back(fixed_con, server):
    server.scenarios = [Scenario(chunks=content_chunks(ANSWER)[:14] + ["{not json"])]
    outs, _ = await ask(make_engine(fixed_con, server.base_url, server.token))
    ends = [o for o in outs if isinstance(o, SuggestionEnd)]
    assert ends and ends[0].interrupted
    alert, tips = await fallback_of(outs)
    assert "bad response" in alert.text and tips


async def test_bad_tool_arguments_fall_back(fixed_con, server):
    server.scenarios = [Scenario(chunks=tool_call_chunks("c1", "get_order_status", "{order: 7"))]
    outs, _ = await ask(make_engine(fixed_con, server.base_url, server.token))
    alert, tips = await fallback_of(outs)
    assert "bad arguments for get_order_status" in alert.text and tips


async def test_a_wrong_key_is_refused(fixed_con, server):
    outs, _ = await ask(make_engine(fixed_con, server.base_url, "wrong"))
    alert, _ = await fallback_of(outs)
    assert "HTTP 401" in alert.text


async def test_the_model_may_decline(fixed_con, server):
    server.scenarios = [Scenario(chunks=content_chunks('{"type": "none"}'))]
    outs, _ = await ask(make_engine(fixed_con, server.base_url, server.token), "Okay, thanks.")
    assert not any(isinstance(o, (Suggestion, SuggestionBegin)) for o in outs)


async def test_summary_written_by_the_model_or_by_rules(fixed_con, server):
    engine = make_engine(fixed_con, server.base_url, server.token)
    memory = CallMemory()
    memory.add_turn("customer", "Where is my order?", 0)
    server.scenarios = [Scenario(message={"role": "assistant", "content": json.dumps({
        "reason": "Order status", "resolution": "Shipped", "action_items": ["Email label"],
        "sentiment": "positive", "text": "Sarah asked about her order."})})]
    summary, by = await engine.summarize(memory)
    assert by == "openai" and summary.text == "Sarah asked about her order."
    server.scenarios = [Scenario(message={"role": "assistant", "content": "no json here"})]
    summary, by = await engine.summarize(memory)
    assert by == "rules (model failed)" and summary.text
