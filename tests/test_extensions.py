"""Extensions: each hook alone on one stage (fast), then all of them in a real recorded call."""

import duckdb
import pytest

from callkit.assistant.memory import CallMemory
from callkit.assistant.rules import RulesEngine, Suggestion
from callkit.assistant.summary import summarize
from callkit.assistant.tools import ToolRunner, lookup_customer
from callkit.center import CallCenter
from callkit.events import SuggestionDone, ToolCall, TranscriptFinal
from callkit.extensions import Extensions
from callkit.stt.endpointing import WINDOW_S, Utterance
from tests.stt.test_endpointing_synthetic import pattern, run


def test_an_end_of_turn_rule_decides_when_the_turn_ends():
    probs = pattern((0.3, 0.0), (1.0, 0.9), (0.3, 0.0), (1.0, 0.9), (1.5, 0.0))
    default = [u for u in run(probs) if isinstance(u, Utterance)]
    assert len(default) == 1  # 0.3 s pauses do not end a turn at 0.6 s of silence

    def quick(probs):  # ends a turn at 0.25 s of silence
        quiet = 0
        for p in reversed(probs):
            if p >= 0.35:
                break
            quiet += 1
        return quiet * WINDOW_S >= 0.25

    assert len([u for u in run(probs, end_of_turn=quick) if isinstance(u, Utterance)]) == 2


async def test_extra_rules_run_after_the_built_in_ones(fixed_con):
    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    def delivery(final, memory):
        if "deliver" in final.text.lower():
            return Suggestion("suggestion", "normal", "delivery", "Offer the tracking link.")
        return None

    async def wrong(final, memory):
        return "not a suggestion"

    engine = RulesEngine(ToolRunner(run_db, lambda *a: None), extra_rules=[delivery])
    final = TranscriptFinal(call_id="c", leg="customer", text="When will it be delivered?",
                            start=0, end=1)
    memory = CallMemory()
    memory.add_turn("customer", final.text, 0)
    outs = [o async for o in engine.on_final(final, memory)]
    assert outs[-1].topic == "delivery"
    engine = RulesEngine(ToolRunner(run_db, lambda *a: None), extra_rules=[wrong])
    with pytest.raises(TypeError, match="return a Suggestion or None"):
        [o async for o in engine.on_final(final, memory)]


async def test_a_tool_given_by_name_replaces_the_built_in_one(fixed_con):
    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    seen = []

    def my_lookup(con, args):
        seen.append(args)
        return lookup_customer(con, args)

    runner = ToolRunner(run_db, lambda *a: None, {"lookup_customer": my_lookup})
    result = await runner.call("lookup_customer", {"query": "Sarah Johnson"})
    assert seen and result["matches"][0]["name"] == "Sarah Johnson"
    assert "get_order_status" in runner.tools


def test_action_items_can_be_written_by_your_own_function():
    memory = CallMemory()
    memory.add_turn("agent", "I will email you a label.", 0)
    summary = summarize(memory, lambda m: [f"{len(m.turns)} turn(s) to review"])
    assert summary.action_items == ("1 turn(s) to review",)


@pytest.mark.integration
async def test_every_hook_runs_in_a_recorded_call(settings, no_leaks):
    used = {"tool": 0, "rule": 0, "turn": 0}

    def lookup(con, args):
        used["tool"] += 1
        return lookup_customer(con, args)

    def shipping(final, memory):
        used["rule"] += 1
        if final.leg == "customer" and "arrive" in final.text.lower():
            return Suggestion("suggestion", "normal", "delivery", "Offer to track the parcel.")
        return None

    def end_of_turn(probs):
        used["turn"] += 1
        return len(probs) > 20 and max(probs[-20:]) < 0.35  # 0.64 s of quiet

    extensions = Extensions(tools={"lookup_customer": lookup}, rules=[shipping],
                            end_of_turn=end_of_turn, action_items=lambda m: ["Call back Friday"])
    events = []
    async with CallCenter(settings, extensions=extensions) as center:
        call = await center.replay("sarah_order", observer=events.append)
    assert all(used.values()), used
    assert any(isinstance(e, ToolCall) and e.name == "lookup_customer" for e in events)
    assert any(isinstance(e, SuggestionDone) and "track the parcel" in e.message for e in events)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    items = con.execute("SELECT action_items FROM call_summaries WHERE call_id = ?",
                        [call.call_id]).fetchone()[0]
    con.close()
    assert "Call back Friday" in items
