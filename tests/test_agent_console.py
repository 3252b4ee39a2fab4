"""The agent console's kernel side, without a browser: what it sends, and what its buttons
store (the browser test drives the same through a real JupyterLab)."""

import asyncio
import json

import duckdb
import pytest

from callkit.agent_console import AgentConsole, Transcript
from callkit.center import CallCenter
from callkit.recordings import load_recording
from tests.widget_messages import sent_by, settle

pytestmark = pytest.mark.integration


def rows(settings, sql, call):
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return con.execute(sql, [call.call_id]).fetchall()
    finally:
        con.close()


async def test_the_console_follows_the_call_and_its_buttons_are_stored(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = await center.replay("sarah_order")  # a whole call, ended and stored
        console = AgentConsole(call)
        sent = sent_by(console)
        console._handle({"kind": "sync"})  # a view that comes (back) asks for everything
        snapshot = [m for m in sent if m["kind"] in ("snapshot", "events")]
        ids = [e["id"] for m in snapshot for e in m["events"]]
        assert snapshot[0]["kind"] == "snapshot" and ids == sorted(set(ids))
        kinds = {e["type"] for m in snapshot for e in m["events"]}
        assert {"TranscriptFinal", "SuggestionToken", "CustomerContext", "CallSummary"} <= kinds
        # Each card's sources reach the view with its start and its end, as JSON.
        cards = [e for m in snapshot for e in m["events"]
                 if e["type"] in ("SuggestionStarted", "SuggestionDone")]
        started = {e["suggestion_id"]: e["sources"] for e in cards
                   if e["type"] == "SuggestionStarted"}
        assert started and all(started.values())
        assert all(e["sources"] == started[e["suggestion_id"]] for e in cards)
        assert json.loads(json.dumps(cards)) == [{**e, "sources": list(e["sources"])}
                                                 for e in cards]
        assert any(s["name"] in ("lookup_customer", "get_order_status")
                   for sources in started.values() for s in sources)
        console.close()
        await settle()

    async with CallCenter(settings) as center:
        call = center.start_call(title="buttons")
        console = AgentConsole(call)
        sent = sent_by(console)
        console._handle({"kind": "sync"})  # a view is showing it: events flow from now on
        track = await call.play("customer", load_recording("sarah_order").legs["customer"],
                                speed=3.0)
        await track.finished.wait()
        await asyncio.sleep(0.5)
        card = next(e for m in sent if m["kind"] == "events" for e in m["events"]
                    if e["type"] == "SuggestionDone")
        assert card["sources"]  # live events carry them too
        console._handle({"kind": "feedback", "id": card["suggestion_id"], "action": "used"})
        console._handle({"kind": "action", "action": "escalate"})
        console._handle({"kind": "flag", "at_s": 14.0, "text": "It was supposed to arrive"})
        console._handle({"kind": "action", "action": "refund everything"})
        assert sent[-1] == {"kind": "error", "message": sent[-1]["message"]}
        assert "unknown action" in sent[-1]["message"]
        console._handle({"kind": "end"})
        for _ in range(500):
            if call.status == "ended":
                break
            await asyncio.sleep(0.05)
        await settle()
        assert console._follower.done()  # the journal closed with the call
        console.close()
    assert rows(settings, "SELECT used FROM ai_suggestions WHERE call_id = ? AND used", call)
    assert rows(settings, "SELECT action FROM agent_actions WHERE call_id = ? ORDER BY id",
                call) == [("suggestion_used",), ("escalate",)]
    assert rows(settings, "SELECT at_s, note FROM flagged_moments WHERE call_id = ?", call) == [
        (14.0, "It was supposed to arrive")]
    summary, = rows(settings, "SELECT text FROM call_summaries WHERE call_id = ?", call)[0]
    assert "Escalated to a supervisor" in summary


async def test_each_part_is_a_widget_of_its_own(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = center.start_call()
        part = Transcript(call)
        assert part.parts == ["transcript"] and repr(part) == "Transcript(parts=['transcript'])"
        with pytest.raises(ValueError, match="unknown console parts"):
            AgentConsole(call, parts=("transcript", "video"))
        part.close()
        await call.end()
        await settle()


async def test_the_agent_picks_who_is_calling_and_the_panel_follows(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = center.start_call()
        console = AgentConsole(call)
        sent_by(console)
        john = await center.db.run(lambda con: con.execute(
            "SELECT id FROM customers WHERE account_number = '12345'").fetchone()[0])
        console._handle({"kind": "pick", "customer_id": john})
        for _ in range(200):
            panels = [e for _, e in call.journal.since(0)
                      if type(e).__name__ == "CustomerContext" and e.customer]
            if panels:
                break
            await asyncio.sleep(0.02)
        assert panels and panels[-1].customer["name"] == "John Doe"
        assert call.assistant.memory.customer["id"] == john
        assert any(t["status"] not in ("open", "pending") for t in panels[-1].tickets) or \
            panels[-1].tickets  # open and resolved tickets both reach the panel
        console.close()
        await call.end()
        await settle()
