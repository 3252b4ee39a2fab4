"""Every way the model endpoint can fail, against a real HTTP server on 127.0.0.1: the turn is
answered by the rules engine, an alert says why, and the call's end closes everything."""

import asyncio
import socket

import pytest
import pytest_asyncio

from callkit.bench.openai_stub import (FakeOpenAIServer, Scenario, content_chunks,
                                       tool_call_chunks)
from callkit.config import Settings
from callkit.events import CallEnded, SuggestionDone
from tests.assistant.test_openai_engine import (ANSWER, customer, settled, stage_on_bus,
                                                stage_settings)

SAID = "Hi, I'm Sarah Johnson, order seven eight nine oh one."
HALF = content_chunks(ANSWER)[:14]  # the card has begun: header and a few words
TIMEOUT_S = 1.5  # the request's own timeout in these tests (the default is 8 s)

# fault -> (what the server does, what the alert says)
FAULTS = {
    "refused": (None, "cannot connect"),
    "timeout": (Scenario(chunks=content_chunks(ANSWER), delay_s=TIMEOUT_S + 1.5), "timed out"),
    "http 429": (Scenario(status=429), "HTTP 429"),
    "http 500": (Scenario(status=500), "HTTP 500"),
    "cut off": (Scenario(chunks=HALF, ending="eof"), "answer cut off"),
    "connection reset": (Scenario(chunks=HALF, ending="reset"), "connection lost mid-answer"),
    "garbage chunk": (Scenario(chunks=HALF + ["{not json"]), "bad response"),
    "bad tool arguments": (Scenario(chunks=tool_call_chunks("c1", "get_order_status",
                                                            '{"order_id": 789')),
                           "bad arguments for get_order_status"),
    "unknown tool": (Scenario(chunks=tool_call_chunks("c1", "drop_all_tables", "{}")),
                     "unknown tool 'drop_all_tables'"),
}


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound once, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_asyncio.fixture
async def server():
    srv = await FakeOpenAIServer().start()
    yield srv
    await srv.close()


def test_the_fallback_deadline_is_at_most_one_second():
    assert Settings().openai_fallback_s <= 1.0
    assert Settings.from_env({}).openai_fallback_s <= 1.0


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_failing_model_leaves_the_turn_to_the_rules_with_an_alert(
        fault, fixed_con, no_leaks, server):
    scenario, says = FAULTS[fault]
    if scenario is None:
        settings = stage_settings(server, openai_base_url=f"http://127.0.0.1:{closed_port()}/v1")
    else:
        server.scenarios = [scenario]
        settings = stage_settings(server)
    settings = settings.replace(openai_timeout_s=TIMEOUT_S)
    bus, events, assistant, streams = stage_on_bus(fixed_con, settings)

    bus.publish(customer(SAID, 1, 0))
    # The whole turn (rules' tips, the alert) is bounded by the request's timeout; generous.
    async with asyncio.timeout(30):
        await settled(bus, assistant)
    done = [e for e in events if isinstance(e, SuggestionDone)]
    alert = next(d for d in done if d.topic == "engine")
    assert alert.kind == "alert" and says in alert.message
    assert "showing rule-based suggestions" in alert.message
    assert any(d.kind == "suggestion" and "#78901" in d.message for d in done)
    # A card the model had begun is ended, never left open or shown as if whole.
    assert not any(d.topic != "engine" and d.message.startswith("Tell Sarah") for d in done)

    bus.publish(CallEnded(call_id="c"))
    async with asyncio.timeout(30):  # nothing hangs on the way out
        await bus.drain()
        await bus.close()
    assert all(s.response.is_closed for s in streams)
    assert assistant.engine.client.is_closed()


async def test_a_slow_model_is_not_waited_for_past_the_deadline(fixed_con, no_leaks, server):
    """The rules' tip is shown at the deadline while the request is still open; the model's
    answer that comes later is still streamed."""
    server.scenarios = [Scenario(chunks=content_chunks(ANSWER), delay_s=2.0)]
    settings = stage_settings(server, openai_fallback_s=0.3, openai_timeout_s=10.0)
    bus, events, assistant, streams = stage_on_bus(fixed_con, settings)
    bus.publish(customer(SAID, 1, 0))
    async with asyncio.timeout(30):
        await settled(bus, assistant)
    done = [e for e in events if isinstance(e, SuggestionDone)]
    rules_tip = next(i for i, d in enumerate(done) if "#78901" in d.message)
    model_tip = next(i for i, d in enumerate(done) if d.message.startswith("Tell Sarah"))
    assert rules_tip < model_tip  # the rules did not wait for the model
    assert not any(d.topic == "engine" for d in done)  # nothing failed: no alert
    bus.publish(CallEnded(call_id="c"))
    async with asyncio.timeout(30):
        await bus.drain()
        await bus.close()
    assert all(s.response.is_closed for s in streams)
