"""The rules engine on the scripted calls' sentences, with the real tools on a seeded DuckDB."""

import json

from callkit.assistant.memory import CallMemory
from callkit.assistant.rules import ContextUpdate, RulesEngine, Suggestion
from callkit.assistant.summary import summarize
from callkit.assistant.tools import ToolRunner
from callkit.events import TranscriptFinal
from callkit.recordings import load_recording
from tests.conftest import SEED_DAY


def engine_for(con, calls):
    async def run(fn, *args):
        return fn(con, *args)

    return RulesEngine(ToolRunner(run, lambda *c: calls.append(c)), today=SEED_DAY)


async def play(con, recording):
    calls, outputs, memory = [], [], CallMemory()
    engine = engine_for(con, calls)
    for i, turn in enumerate(load_recording(recording).turns):
        final = TranscriptFinal(call_id="c", leg=turn["speaker"], text=turn["text"],
                                start=float(i), end=i + 0.5)
        memory.add_turn(final.leg, final.text, final.start)
        async for out in engine.on_final(final, memory):
            outputs.append((i, out))
    return outputs, memory, calls


async def test_sarah_call_identifies_her_and_finds_the_order(fixed_con):
    outputs, memory, calls = await play(fixed_con, "sarah_order")
    contexts = [o for _, o in outputs if isinstance(o, ContextUpdate)]
    assert contexts[0].context["customer"]["name"] == "Sarah Johnson"
    suggestions = [(i, o) for i, o in outputs if isinstance(o, Suggestion)]
    order_text = next(o.text for _, o in suggestions if o.topic == "order_status")
    assert order_text.startswith("I found Sarah's order #78901")
    assert "shipped yesterday via FedEx" in order_text and "Friday, Nov 27" in order_text
    refund = next((i, o) for i, o in suggestions if o.topic == "return_policy")
    assert refund[0] == 4 and "30-day window" in refund[1].text
    used = [c[0] for c in calls if c[0] != "search_knowledge"]
    assert used[0] == "lookup_customer" and used[-2:] == ["get_order_status", "check_return_policy"]
    assert memory.commitments == ["email you a return label today"]


async def test_john_call_gives_tier_alert_billing_and_frustration(fixed_con):
    outputs, memory, _ = await play(fixed_con, "john_bill")
    suggestions = [o for _, o in outputs if isinstance(o, Suggestion)]
    topics = [o.topic for o in suggestions]
    assert topics[:4] == ["identified", "tier", "billing", "frustration"]
    tier = suggestions[1]
    assert tier.kind == "alert" and "Gold" in tier.text
    billing = suggestions[2].text
    assert "$129.99 on Nov 15" in billing
    assert "$99.00 Premium plan + $30.99 data overage" in billing
    assert topics.count("billing") == 1  # the second bill question does not repeat it
    assert memory.commitments[-1] == "call you back tomorrow about a credit"


async def test_an_unknown_order_asks_to_confirm_the_number(fixed_con):
    memory, calls = CallMemory(), []
    engine = engine_for(fixed_con, calls)
    final = TranscriptFinal(call_id="c", leg="customer", text="My order number is 11111.",
                            start=0, end=1)
    memory.add_turn("customer", final.text, 0)
    outs = [o async for o in engine.on_final(final, memory)]
    assert [o.topic for o in outs] == ["order_status"]
    assert "No order #11111" in outs[0].text
    looked = next(c for c in calls if c[0] == "get_order_status")
    assert json.loads(json.dumps(looked[2]))["error"]["code"] == "not_found"


async def test_summary_from_memory(fixed_con):
    _, memory, _ = await play(fixed_con, "john_bill")
    summary = summarize(memory)
    assert summary.text.startswith("John Doe (account #12345, gold). Called about a bill")
    assert summary.action_items[-1] == "Call the customer back tomorrow about a credit"
    assert "Explained the $129.99 bill" in summary.resolution
    assert summary.sentiment in ("positive", "neutral", "negative")


async def test_a_misheard_digit_of_the_callers_own_order_finds_it(fixed_con):
    memory, calls = CallMemory(), []
    engine = engine_for(fixed_con, calls)
    outs = []
    for text in ["Hi, I'm Sarah Johnson.", "It's about order 788901."]:
        final = TranscriptFinal(call_id="c", leg="customer", text=text, start=0, end=1)
        memory.add_turn("customer", text, 0)
        outs += [o async for o in engine.on_final(final, memory)]
    order = [o for o in outs if isinstance(o, Suggestion) and o.topic == "order_status"]
    assert len(order) == 1 and "#78901" in order[0].text


async def test_an_order_mentioned_later_updates_the_context(fixed_con):
    memory, calls = CallMemory(), []
    engine = engine_for(fixed_con, calls)
    updates = []
    for text in ["My account number is 48213.", "It's about order 55102."]:
        final = TranscriptFinal(call_id="c", leg="customer", text=text, start=0, end=1)
        memory.add_turn("customer", text, 0)
        updates += [o async for o in engine.on_final(final, memory) if isinstance(o, ContextUpdate)]
    assert len(updates) == 2
    assert updates[1].reason == "order #55102 mentioned"
    assert updates[1].context["orders"][0]["order_number"] == "55102"
    assert updates[1].context["customer"]["name"] == "Sarah Johnson"


async def partials(con, texts, memory=None):
    calls, memory = [], memory or CallMemory()
    engine, out, previous = engine_for(con, calls), [], ""
    for text in texts:
        out.append([o async for o in engine.on_partial(text, previous, memory)])
        previous = text
    return out, memory, calls


async def test_a_name_two_partials_agree_on_identifies_the_caller_before_the_final(fixed_con):
    out, memory, _ = await partials(fixed_con, [
        "Hi, I'm Sarah Rijangzian and I need",
        "Hi, I'm Sarah Johnson and I need help with order 7",
        "Hi, I'm Sarah Johnson and I need help with order 788",
    ])
    assert out[0] == [] and out[1] == []  # heard once: not yet
    context = next(o for o in out[2] if isinstance(o, ContextUpdate))
    assert context.context["customer"]["name"] == "Sarah Johnson"
    assert memory.customer["name"] == "Sarah Johnson" and memory.orders == {}


async def test_partials_show_only_sure_hits(fixed_con):
    # An order number on file that two partials agree on is looked up (its owner becomes a
    # candidate to verify: an order alone does not say who is calling); a miss waits.
    out, memory, calls = await partials(fixed_con, [
        "my order number is 99999 and", "my order number is 99999 and it",
        "my order number is 78901 and", "my order number is 78901 and it"])
    assert out[1] == [] and "order:99999" not in memory.said
    assert [c[0] for c in calls].count("get_order_status") == 2
    shown = [o for o in out[3] if isinstance(o, Suggestion)]
    assert [o.topic for o in shown] == ["verify_identity"] and "#78901" in shown[0].text
    assert memory.customer is None and memory.pending_orders == ["78901"]
    # An ambiguous name gives no candidates from a partial (the final will).
    out, memory, _ = await partials(fixed_con, ["Hi, this is Sara Jon.", "Hi, this is Sara Jon."])
    assert memory.customer is None and out[1] == []


async def test_the_agents_own_name_never_becomes_the_caller(fixed_con):
    memory, calls = CallMemory(), []
    engine = engine_for(fixed_con, calls)
    said = "Thanks for calling, my name is John Doe, account 12345 is on my other screen."
    final = TranscriptFinal(call_id="c", leg="agent", text=said, start=0, end=1)
    memory.add_turn("agent", said, 0)
    outs = [o async for o in engine.on_final(final, memory)]
    partials = [o async for o in engine.on_partial(said, said, memory, "agent")]
    assert memory.customer is None
    assert not [o for o in outs + partials if isinstance(o, ContextUpdate)]
    # The same words from the caller do identify them.
    final = TranscriptFinal(call_id="c", leg="customer", text="Hi, I'm John Doe, account 12345.",
                            start=2, end=3)
    memory.add_turn("customer", final.text, 2)
    [o async for o in engine.on_final(final, memory)]
    assert memory.customer["name"] == "John Doe"
