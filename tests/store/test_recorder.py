import json

from callkit.events import (CallEnded, CallStarted, CallSummary, CustomerContext,
                            SuggestionDone, SuggestionFeedback, ToolCall, TranscriptFinal,
                            Word)
from callkit.store.db import Database
from callkit.store.recorder import Recorder


async def test_recorder_writes_a_whole_call(tmp_path):
    with Database(tmp_path / "r.duckdb") as db:
        rec = Recorder(db)
        cid = "call-1"
        for event in [
            CallStarted(call_id=cid, agent_name="Ana", title="t"),
            TranscriptFinal(call_id=cid, leg="customer", text="Hi there", start=0.5, end=1.2,
                            words=(Word("Hi", 0.5, 0.8, 0.9), Word("there", 0.8, 1.2, 0.8)),
                            confidence=0.85),
            CustomerContext(call_id=cid, customer={"id": 7, "name": "X"}),
            ToolCall(call_id=cid, name="get_order_status", arguments={"order_id": "1"},
                     result={"error": {"code": "not_found"}}, duration_s=0.001),
            SuggestionDone(call_id=cid, suggestion_id="s1", kind="alert", priority="high",
                           topic="tier", message="Gold customer"),
            SuggestionFeedback(call_id=cid, suggestion_id="s1", action="used"),
            CallSummary(call_id=cid, reason="r", resolution="done", action_items=("call back",),
                        sentiment="positive", text="summary text", customer_id=7),
            CallEnded(call_id=cid, status="completed", duration_s=12.5),
        ]:
            await rec.handle(event)

        def read(con):
            call = con.execute("SELECT customer_id, status, duration_seconds, summary, sentiment "
                               "FROM calls WHERE call_id = ?", [cid]).fetchone()
            words = con.execute("SELECT words FROM transcripts WHERE call_id = ?", [cid]).fetchone()
            sugg = con.execute("SELECT suggestion_type, message FROM ai_suggestions").fetchall()
            items = con.execute("SELECT action_items FROM call_summaries").fetchone()
            logged = con.execute("SELECT action, payload FROM agent_actions").fetchall()
            return call, words, sugg, items, logged

        call, words, sugg, items, logged = await db.run(read)
    assert call == (7, "completed", 12.5, "summary text", "positive")
    assert json.loads(words[0])[1]["text"] == "there"
    assert sugg == [("alert", "Gold customer")]
    # Use/Dismiss is on the card and in the agent's log of actions.
    assert [(a, json.loads(p)) for a, p in logged] == [("suggestion_used",
                                                        {"suggestion_id": "s1"})]
    assert json.loads(items[0]) == ["call back"]
