"""The "shown" latency mark: a console view reports the cards it painted, the call marks the
turn each card answers, and the recorder stores the turn's marks (the first time counts)."""

import asyncio

import duckdb

from callkit.agent_console import AgentConsole
from callkit.center import CallCenter
from callkit.events import LatencyMark, SuggestionStarted, SuggestionToken
from callkit.metrics import turn_of_suggestion
from tests.widget_messages import sent_by, settle


def card(call_id: str, sid: str, turn: int, mark: str = "first_token") -> list:
    """What the assistant publishes for a card answering the customer's ``turn``."""
    return [SuggestionStarted(call_id=call_id, suggestion_id=sid, kind="suggestion",
                              priority="normal", topic="order_status"),
            SuggestionToken(call_id=call_id, suggestion_id=sid, text="Order"),
            LatencyMark(call_id=call_id, leg="customer", turn=turn, name=mark)]


def test_a_card_answers_the_turn_marked_right_after_it_started():
    entries = list(enumerate(card("c", "s1", 2) + card("c", "s0", 4, "early_token")
                             + card("c", "s2", 5), start=1))
    assert turn_of_suggestion(entries, "s1") == ("customer", 2)
    assert turn_of_suggestion(entries, "s2") == ("customer", 5)
    # One answering a partial is not "shown" (nor taken for the next card's turn).
    assert turn_of_suggestion(entries, "s0") is None
    assert turn_of_suggestion(entries, "nope") is None


class NoSpeech:
    """No whisper: this test publishes the assistant's events itself."""


async def test_a_painted_card_marks_its_turn_shown_once(settings, no_leaks):
    async with CallCenter(settings, recognizer=NoSpeech()) as center:
        call = center.start_call(title="shown")
        for event in card(call.call_id, "s1", 3) + card(call.call_id, "s2", 3):
            call.bus.publish(event)
        await call.bus.drain()
        console = AgentConsole(call)
        sent_by(console)
        console._handle({"kind": "shown", "ids": ["s1"]})
        await call.bus.drain()
        await asyncio.sleep(0.05)
        console._handle({"kind": "shown", "ids": ["s2", "unknown"]})  # later: does not count
        await call.bus.drain()
        marks = [e for _, e in call.journal.since(0)
                 if isinstance(e, LatencyMark) and e.name == "shown"]
        assert [(m.leg, m.turn) for m in marks] == [("customer", 3), ("customer", 3)]
        console.close()
        await call.end()
        await settle()
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        first_token, shown = con.execute(
            "SELECT first_token, shown FROM turn_latency WHERE call_id = $1 AND turn = 3",
            [call.call_id]).fetchone()
    finally:
        con.close()
    assert abs(shown.timestamp() - marks[0].wall) < 1e-3  # the first report
    assert shown >= first_token
