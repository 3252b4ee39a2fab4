"""A recorded call through the real parts: aiortc over loopback, whisper, rules, DuckDB."""

import json
import subprocess
import sys

import duckdb
import pytest

from callkit.center import CallCenter
from callkit.recordings import load_recording
from callkit.events import (CustomerContext, SpeechEnded, SuggestionDone, SuggestionToken,
                            TranscriptFinal, TranscriptPartial)

pytestmark = pytest.mark.integration


async def test_sarah_johnson_call_end_to_end(settings, no_leaks):
    events = []
    async with CallCenter(settings) as center:
        call = center.start_call(title="Sarah Johnson asks about order 78901")
        call.subscribe(events.append)
        await call.replay("sarah_order")
        peers = list(call._peers)
        await call.end()
    assert len(peers) == 4  # a sender and a receiver per leg
    assert all(p.pc.connectionState == "closed" for p in peers)

    con = duckdb.connect(str(settings.db_path), read_only=True)
    status, customer, duration, summary = con.execute(
        "SELECT c.status, cu.name, c.duration_seconds, c.summary FROM calls c "
        "JOIN customers cu ON cu.id = c.customer_id WHERE c.call_id = ?", [call.call_id]).fetchone()
    assert (status, customer) == ("completed", "Sarah Johnson")
    assert duration == pytest.approx(load_recording("sarah_order").duration_s, abs=1.0)
    lines = con.execute("SELECT speaker, text, start_s, words FROM transcripts WHERE call_id = ? "
                        "ORDER BY start_s", [call.call_id]).fetchall()
    assert [s for s, *_ in lines] == ["customer", "agent"] * 4  # the script alternates
    assert "78901" in lines[0][1]
    assert json.loads(lines[0][3])[0]["start"] >= 0
    suggestions = [m for m, in con.execute(
        "SELECT message FROM ai_suggestions WHERE call_id = ? ORDER BY timestamp",
        [call.call_id]).fetchall()]
    assert any("#78901" in m and "FedEx" in m for m in suggestions)
    stored = con.execute("SELECT reason, text FROM call_summaries WHERE call_id = ?",
                         [call.call_id]).fetchone()
    assert "#78901" in stored[0] and stored[1] == summary
    tools = [n for n, in con.execute("SELECT name FROM tool_calls WHERE call_id = ?",
                                      [call.call_id]).fetchall()]
    assert "lookup_customer" in tools and "get_order_status" in tools
    con.close()

    kinds = [type(e) for e in events]
    assert kinds.index(CustomerContext) < kinds.index(SuggestionDone)
    tokens = [e for e in events if isinstance(e, SuggestionToken)]
    assert len(tokens) > 10  # suggestions arrive word by word
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    ends = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ends) >= len(finals)
    # Each partial is replaced in place by its own turn's final, which comes after it.
    final_at = {(e.leg, e.turn): i for i, e in enumerate(events) if isinstance(e, TranscriptFinal)}
    partials = [(i, e) for i, e in enumerate(events) if isinstance(e, TranscriptPartial)]
    assert partials
    assert all(i < final_at[(e.leg, e.turn)] for i, e in partials)
    assert len({(f.leg, f.turn) for f in finals}) == len(finals)  # one final per turn


def test_callkit_demo_command(seeded_db_file, tmp_path):
    db = tmp_path / "demo.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "callkit.cli", "demo", "--speed", "4", "--db", str(db)],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "seeding the demo database" in out
    assert "CUSTOMER" in out and "AGENT" in out
    assert "Customer identified: Sarah Johnson" in out
    assert "I found Sarah's order #78901" in out and "FedEx" in out
    assert "Summary" in out and f"stored in {db}" in out
    assert "Traceback" not in result.stderr


def test_demo_with_an_unknown_call_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "callkit.cli", "demo", "--call", "nope", "--db",
         str(tmp_path / "x.duckdb")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no recorded call 'nope'" in result.stderr and "sarah_order" in result.stderr
