"""The OpenAI-compatible engine against a real local server speaking the streaming protocol."""

import asyncio
import json

import pytest_asyncio
from aiohttp import web
from openai import AsyncOpenAI

from callkit.assistant.memory import CallMemory
from callkit.assistant.model_output import (DEFAULT_CONFIDENCE, MessageStream, SuggestionBegin,
                                            SuggestionEnd, SuggestionText, model_topic)
from callkit.assistant.openai_engine import OpenAIEngine
from callkit.assistant.rules import ContextUpdate, RulesEngine, Suggestion
from callkit.assistant.model_cards import _opening_complete
from callkit.assistant.stage import Assistant
from callkit.assistant.tools import ToolRunner
from callkit.bus import Bus
from callkit.config import Settings
from callkit.events import (CallEnded, Sentiment, SuggestionDone, SuggestionStarted,
                            SuggestionToken, TranscriptFinal)
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


_engines: list[OpenAIEngine] = []


@pytest_asyncio.fixture(autouse=True)
async def close_engines():
    """Each engine a test made closes its client (and connections) when the test ends."""
    yield
    while _engines:
        await _engines.pop().aclose()


def make_engine(con, base_url, token, timeout=2.0, mode="model"):
    """``mode`` "model" by default: most tests here are of the model's own answer."""
    async def run(fn, *args):
        return fn(con, *args)

    settings = Settings(assistant_engine="openai", openai_base_url=base_url,
                        openai_api_key=token, openai_timeout_s=timeout, assistant_mode=mode)
    tools = ToolRunner(run, lambda *a: None)
    _engines.append(OpenAIEngine(settings, tools, RulesEngine(tools, today=SEED_DAY)))
    return _engines[-1]


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
    assert (begin.kind, begin.priority, begin.topic) == ("suggestion", "normal", "order_status")
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
    assert first["stream"] and {t["function"]["name"] for t in first["tools"]} >= {
        "lookup_customer", "get_order_status", "check_return_policy"}  # (and any added since)
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


async def test_a_model_too_slow_for_the_calls_end_leaves_the_rules_summary(fixed_con, server):
    engine = make_engine(fixed_con, server.base_url, server.token, timeout=30.0)
    engine.settings = engine.settings.replace(end_timeout_s=4.0)  # the model gets half: 2 s
    memory = CallMemory()
    memory.add_turn("customer", "Where is my order?", 0)
    server.scenarios = [Scenario(delay_s=6.0, message={"role": "assistant", "content": "{}"})]
    summary, by = await asyncio.wait_for(engine.summarize(memory), 4.0)
    assert by == "rules (model failed)" and summary.text


# --- The suggestion policy applies to streamed suggestions too --------------------------------

def answer(message, topic="order", kind="suggestion", priority="normal", confidence=None):
    data = {"type": kind, "priority": priority, "topic": topic}
    if confidence is not None:
        data["confidence"] = confidence
    data["message"] = message
    return Scenario(chunks=content_chunks(json.dumps(data), size=4))


def stage_settings(server, **kw):
    base = dict(token_delay_s=0, assistant_engine="openai", assistant_mode="model",
                openai_base_url=server.base_url, openai_api_key=server.token, suggestion_cooldown_s=0, suggestion_min_gap_s=0,
                suggestions_per_minute=100)
    return Settings(**{**base, **kw})


def customer(text, turn, at):
    return TranscriptFinal(call_id="c", leg="customer", text=text, start=at, end=at + 2,
                           turn=turn)


async def settled(bus, assistant):
    """Everything published so far handled, the model's answer (streamed in a task of the
    stage's own, while later events come) included."""
    await bus.drain()
    await assistant.settle()
    await bus.drain()


async def run_call(fixed_con, settings, finals, *, openai_client=None):
    """The assistant stage on a bus, ended as a call ends; returns its events and itself."""
    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    bus, events = Bus(), []
    assistant = Assistant("c", settings, run_db, bus.publish, openai_client=openai_client)
    streams = spy_streams(assistant.engine)
    bus.subscribe(assistant.handle, TranscriptFinal, CallEnded)
    bus.subscribe(events.append)
    for f in finals:
        bus.publish(f)
        await settled(bus, assistant)
    bus.publish(CallEnded(call_id="c"))
    await bus.drain()
    await bus.close()
    assert streams and all(s.response.is_closed for s in streams)
    return events, assistant


def spy_streams(engine):
    """Keep every response stream the engine's client opens, to check it was closed."""
    completions = engine.client.chat.completions
    create, streams = completions.create, []

    async def spy(*args, **kwargs):
        response = await create(*args, **kwargs)
        if kwargs.get("stream"):
            streams.append(response)
        return response

    completions.create = spy
    return streams


def model_cards(events, topics=None):
    """The model's suggestions that reached the agent: (started, tokens, done) by id."""
    started = [e for e in events if isinstance(e, SuggestionStarted)
               and (topics is None or e.topic in topics)]
    return [(s, "".join(e.text for e in events if isinstance(e, SuggestionToken)
                        and e.suggestion_id == s.suggestion_id),
             next(e for e in events if isinstance(e, SuggestionDone)
                  and e.suggestion_id == s.suggestion_id)) for s in started]


SHIPPED = "Tell Sarah her headphones shipped yesterday via FedEx and arrive on Friday, Nov 27."


# Tests that ask for no_leaks ask for it before the server: the server stops first, then
# no_leaks checks that nothing of the client side (tasks, threads) is left.

async def test_a_streamed_duplicate_is_never_shown(fixed_con, no_leaks, server):
    server.scenarios = [
        answer(SHIPPED, topic="order"),
        # Reworded at the end only, and under another topic: still the same advice.
        answer("Tell Sarah her headphones shipped yesterday via FedEx, so they arrive Friday.",
               topic="shipping"),
        answer("Offer to e-mail Sarah the FedEx tracking link so she can follow the parcel.",
               topic="shipping")]
    events, assistant = await run_call(fixed_con, stage_settings(server), [
        customer("Where are my headphones?", 1, 0), customer("Are they coming?", 2, 10),
        customer("Can I follow it?", 3, 20)])
    cards = model_cards(events, {"order_status", "shipping"})
    assert [done.message for _, _, done in cards] == [
        SHIPPED, "Offer to e-mail Sarah the FedEx tracking link so she can follow the parcel."]
    for started, tokens, done in cards:
        assert tokens == done.message  # held back, then all of it: nothing lost
    assert assistant.policy.rejected == {"duplicate": 1}
    # Not even its opening words reached the agent.
    assert not any(isinstance(e, SuggestionToken) and "so they arrive" in e.text
                   for e in events)


async def test_a_low_confidence_streamed_suggestion_is_dropped(fixed_con, no_leaks, server):
    server.scenarios = [
        answer("Maybe mention the loyalty programme to Sarah at some point in the call.",
               topic="upsell", confidence=0.2),
        answer("Apologise for the delay and confirm the new delivery date with Sarah.",
               topic="shipping", confidence=0.8)]
    events, assistant = await run_call(
        fixed_con, stage_settings(server, suggestion_min_confidence=0.5),
        [customer("Where are my headphones?", 1, 0), customer("Still nothing.", 2, 10)])
    assert [c[2].topic for c in model_cards(events, {"upsell", "shipping"})] == ["shipping"]
    assert assistant.policy.rejected == {"low confidence": 1}


def test_the_model_may_say_how_sure_it_is():
    stream = MessageStream()
    stream.feed('{"type": "alert", "priority": "high", "topic": "Refunds!", "confidence": 0.35, '
                '"message": "Che')
    begin = OpenAIEngine._begin(stream.header, ())
    assert (begin.kind, begin.topic, begin.confidence) == ("alert", "return_policy", 0.35)
    stream = MessageStream()
    stream.feed('{"type": "suggestion", "topic": "x", "confidence": 85, "message": "')
    assert OpenAIEngine._begin(stream.header, ()).confidence == 0.85  # a percentage
    stream = MessageStream()
    stream.feed('{"type": "suggestion", "message": "')
    assert OpenAIEngine._begin(stream.header, ()).confidence == DEFAULT_CONFIDENCE


async def test_debounce_delays_a_streamed_suggestion(fixed_con, no_leaks, server):
    server.scenarios = [
        answer(SHIPPED, topic="order"),
        # (A model saying its tip is urgent does not make it skip the wait.)
        answer("Offer to e-mail Sarah the FedEx tracking link so she can follow the parcel.",
               topic="shipping", priority="high")]
    # The first tip is shown at 2.0 s of call time, the second turn ends at 2.4 s: it waits
    # 1.6 s of call time, 0.8 s at twice the speed.
    settings = stage_settings(server, suggestion_min_gap_s=2.0, replay_speed=2.0)
    second = TranscriptFinal(call_id="c", leg="customer", text="Can I follow it?", start=2.1,
                             end=2.4, turn=2)
    events, assistant = await run_call(
        fixed_con, settings, [customer("Where are my headphones?", 1, 0), second])
    (_, _, first), (started, tokens, done) = model_cards(events, {"order_status", "shipping"})
    handled = next(e for e in events if isinstance(e, Sentiment) and e.turn == 2)
    assert 0.75 <= started.wall - handled.wall < 1.5
    assert tokens == done.message and assistant.policy.rejected == {}


def test_model_topics_are_a_fixed_set():
    assert model_topic("Order", "suggestion") == "order_status"
    assert model_topic("returns", "suggestion") == "return_policy"
    assert model_topic("headphone-saga", "suggestion") == "suggestion"
    assert model_topic("frobnicate", "alert") == "alert"


async def test_an_invented_topic_word_does_not_escape_the_cooldown(fixed_con, no_leaks,
                                                                   server):
    server.scenarios = [
        answer(SHIPPED, topic="headphonesaga"),
        answer("Ask Sarah whether she would like a replacement pair sent by express.",
               topic="fedexdrama"),
        answer("Explain the overage line on Sarah's last bill and offer to waive it.",
               topic="billing")]
    events, assistant = await run_call(
        fixed_con, stage_settings(server, suggestion_cooldown_s=45.0),
        [customer("Where are my headphones?", 1, 0), customer("This is a saga.", 2, 10),
         customer("And my bill?", 3, 20)])
    assert [(c[0].topic, c[2].message[:9]) for c in model_cards(
        events, {"suggestion", "billing"})] == [("suggestion", "Tell Sara"),
                                                ("billing", "Explain t")]
    assert assistant.policy.rejected == {"topic cooldown": 1}


# --- What reaches the model is redacted -------------------------------------------------------

async def test_commitments_and_tool_results_reach_the_model_redacted(fixed_con, server):
    engine = make_engine(fixed_con, server.base_url, server.token)
    server.scenarios = [
        Scenario(chunks=tool_call_chunks("c1", "lookup_customer",
                                         '{"query": "Sarah Johnson", "search_type": "name"}')),
        Scenario(chunks=content_chunks('{"type": "none"}'))]
    memory = CallMemory()
    memory.commitments += ["send the label to sarah.j@example.org",
                           "refund card 4111 1111 1111 1111 today",
                           "call you back on 415-555-0199"]
    memory.add_turn("customer", "Hi, it's Sarah Johnson.", 0.0)
    final = TranscriptFinal(call_id="c", leg="customer", text="Hi, it's Sarah Johnson.",
                            start=0.0, end=3.0)
    [o async for o in engine.on_final(final, memory)]
    await engine.summarize(memory)  # the summary request is told the same (redacted) things
    first, second, summary = (json.dumps(r["messages"]) for r in server.requests)
    for sent in (first, summary):
        assert "[email]" in sent and "[card ending 1111]" in sent and "[phone]" in sent
        assert "sarah.j@example.org" not in sent and "4111 1111" not in sent
        assert "555-0199" not in sent
    tool_result = json.loads(second)[-1]
    assert tool_result["role"] == "tool" and "Sarah Johnson" in tool_result["content"]
    assert "[email]" in tool_result["content"] and "[phone]" in tool_result["content"]
    assert "sarah.johnson@example.com" not in second and "555-0142" not in second


# --- Streams and clients are closed on every path ---------------------------------------------

class HoldingServer(FakeOpenAIServer):
    """Sends ``hold``'s chunks, then keeps the response open until the client hangs up."""

    def __init__(self):
        super().__init__()
        self.hold: list | None = None
        self.holding = asyncio.Event()
        self.hung_up = asyncio.Event()

    async def _completions(self, request):
        if self.hold is None:
            return await super()._completions(request)
        body = await request.json()
        self.requests.append(body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in self.hold:
            line = chunk if isinstance(chunk, str) else json.dumps(
                {"id": "x", "object": "chat.completion.chunk", "created": 0,
                 "model": body["model"], **chunk})
            await response.write(f"data: {line}\n\n".encode())
        self.holding.set()
        try:
            for _ in range(500):  # at most 5 s
                if request.transport is None or request.transport.is_closing():
                    self.hung_up.set()
                    break
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            self.hung_up.set()
            raise
        return response


@pytest_asyncio.fixture
async def holding():
    srv = await HoldingServer().start()
    yield srv
    await srv.close()


async def test_the_stream_is_closed_after_an_error_mid_stream(fixed_con, holding):
    holding.hold = content_chunks(ANSWER)[:14] + ["{not json"]
    engine = make_engine(fixed_con, holding.base_url, holding.token)
    streams = spy_streams(engine)
    outs, _ = await ask(engine)
    alert, tips = await fallback_of(outs)
    assert "bad response" in alert.text and tips
    await asyncio.wait_for(holding.hung_up.wait(), 2)  # the server saw the client hang up
    stream, = streams
    assert stream.response.is_closed
    await engine.aclose()
    assert engine.client.is_closed()


async def test_the_stream_is_closed_after_a_timeout_mid_stream(fixed_con, holding):
    holding.hold = content_chunks(ANSWER)[:14]
    engine = make_engine(fixed_con, holding.base_url, holding.token, timeout=0.3)
    streams = spy_streams(engine)
    outs, _ = await ask(engine)
    ends = [o for o in outs if isinstance(o, SuggestionEnd)]
    assert ends and ends[0].interrupted
    alert, _ = await fallback_of(outs)
    assert "timed out" in alert.text
    await asyncio.wait_for(holding.hung_up.wait(), 2)
    assert streams[0].response.is_closed
    await engine.aclose()


def stage_on_bus(con, settings):
    """The assistant stage on a bus of its own, with every model stream it opens spied on."""
    async def run_db(fn, *args):
        return fn(con, *args)

    bus, events = Bus(), []
    assistant = Assistant("c", settings, run_db, bus.publish)
    streams = spy_streams(assistant.engine)
    bus.subscribe(assistant.handle, TranscriptFinal, CallEnded)
    bus.subscribe(events.append)
    return bus, events, assistant, streams


async def test_a_call_ending_mid_stream_closes_stream_and_client(fixed_con, no_leaks,
                                                                 holding):
    holding.hold = content_chunks(ANSWER)[:20]  # past the opening: the card has started
    settings = stage_settings(holding)

    bus, events, assistant, streams = stage_on_bus(fixed_con, settings)
    bus.publish(customer("Where are my headphones?", 1, 0))
    await asyncio.wait_for(holding.holding.wait(), 5)
    while not any(isinstance(e, SuggestionToken) for e in events):
        await asyncio.sleep(0.01)
    await bus.close()  # as Call.close does: then the assistant is closed mid-stream
    await assistant.aclose()
    await asyncio.wait_for(holding.hung_up.wait(), 2)
    stream, = streams
    assert stream.response.is_closed and assistant.engine.client.is_closed()
    assert assistant._model_task is None


async def test_a_call_ending_during_the_debounce_closes_the_stream(fixed_con, no_leaks,
                                                                   server):
    server.scenarios = [answer(SHIPPED, topic="order"),
                        answer("Offer to e-mail Sarah the FedEx tracking link so she can "
                               "follow the parcel.", topic="shipping")]
    settings = stage_settings(server, suggestion_min_gap_s=60.0)

    bus, events, assistant, streams = stage_on_bus(fixed_con, settings)
    bus.publish(customer("Where are my headphones?", 1, 0))
    await settled(bus, assistant)
    bus.publish(customer("Can I follow it?", 2, 3))
    while len(streams) < 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # the second tip is waiting out its debounce
    await bus.close()
    await assistant.aclose()
    assert [c[2].topic for c in model_cards(events, {"order_status", "shipping"})] == ["order_status"]
    assert all(s.response.is_closed for s in streams)
    assert assistant.engine.client.is_closed()


async def test_the_engines_own_client_is_closed_when_the_call_ends(fixed_con, no_leaks,
                                                                   server):
    server.scenarios = [answer(SHIPPED)]
    _, assistant = await run_call(fixed_con, stage_settings(server),
                                  [customer("Where are my headphones?", 1, 0)])
    assert assistant.engine.client.is_closed()
    # A client handed in belongs to whoever made it.
    mine = AsyncOpenAI(base_url=server.base_url, api_key=server.token, max_retries=0)
    server.scenarios = [answer(SHIPPED)]
    _, assistant = await run_call(fixed_con, stage_settings(server),
                                  [customer("Where are my headphones?", 1, 0)],
                                  openai_client=mine)
    assert not mine.is_closed()
    await mine.close()


def test_a_streamed_tip_is_judged_once_its_opening_is_in():
    assert not _opening_complete("Hi Sarah, ")  # a clause, but too short to judge
    assert _opening_complete("Tell Sarah her order shipped, ")
    assert not _opening_complete("Tell Sarah her order shipped,")  # "shipped,9" may follow
    assert not _opening_complete("one two three four five six seven eight")
    assert _opening_complete("one two three four five six seven eight ")
    assert not _opening_complete("Sarah was billed $129.99 on")  # no clause ends in "$129.99"
