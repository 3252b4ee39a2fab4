"""What the database keeps of what people said (issue 15): card numbers, e-mails and phone
numbers redacted unless CALLKIT_STORE_VERBATIM=1, while the live call (what the console and the
SSE stream show, and what the assistant identifies the caller from) keeps the words as spoken.
A real call center, its real recorder, a real DuckDB file."""

import duckdb
import pytest

from callkit.center import CallCenter
from callkit.events import CustomerContext, MomentFlagged, ToolCall, TranscriptFinal, Word
from tests.test_call_end import NoSpeechRecognizer
from tests.waiting import until

pytestmark = pytest.mark.integration
SAID = [
    "my email is sarah dot johnson at example dot com",
    "you can reach me on four one five five five five zero one four two",
    "the card is 4111 1111 1111 1111 expiring next year",
    "or write to sarah.j@example.org please",
]
SECRETS = ["sarah dot johnson at example dot com", "4155550142", "four one five", "4111 1111",
           "sarah.j@example.org"]


async def a_call(settings):
    """A call whose caller says their e-mail, phone and card; returns what is stored of it
    and what the live call showed."""
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        for turn, text in enumerate(SAID):
            words = tuple(Word(w, turn + i / 10, turn + (i + 1) / 10, 0.9)
                          for i, w in enumerate(text.split()))
            call.bus.publish(TranscriptFinal(call_id=call.call_id, leg="customer", text=text,
                                             start=turn, end=turn + 1, turn=turn, words=words))
        call.bus.publish(MomentFlagged(call_id=call.call_id, at_s=2.0, note=SAID[2]))
        call.bus.publish(ToolCall(call_id=call.call_id, name="lookup_customer",
                                  arguments={"query": SAID[0], "search_type": "spoken"},
                                  result={}, duration_s=0.0))
        # The assistant works from the live words: the spoken e-mail identifies the caller.
        await until(lambda: any(isinstance(e, CustomerContext) and e.customer
                                for _, e in call.journal.since(0)), "the caller identified")
        await call.end()
        live = [e.text for _, e in call.journal.since(0) if isinstance(e, TranscriptFinal)]
        identified = [e.customer["name"] for _, e in call.journal.since(0)
                      if isinstance(e, CustomerContext) and e.customer]
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        stored = con.execute(
            "SELECT string_agg(text, ' | ' ORDER BY turn), "
            "count(*) FILTER (WHERE words::VARCHAR = '[]') FROM transcripts WHERE call_id = $1",
            [call.call_id]).fetchone()
        others = con.execute(
            "SELECT (SELECT string_agg(note, ' ') FROM flagged_moments WHERE call_id = $1), "
            "(SELECT string_agg(arguments, ' ') FROM tool_calls WHERE call_id = $1 "
            " AND name = 'lookup_customer' AND duration_s = 0), "
            "(SELECT customer_id FROM calls WHERE call_id = $1)", [call.call_id]).fetchone()
    finally:
        con.close()
    return {"transcript": stored[0], "lines without words": stored[1], "note": others[0],
            "arguments": others[1], "customer_id": others[2], "live": live,
            "identified": identified}


async def test_stored_lines_are_redacted_by_default_and_the_live_call_is_not(settings,
                                                                              no_leaks):
    assert settings.store_verbatim is False  # the default
    kept = await a_call(settings)
    for secret in SECRETS:
        for part in ("transcript", "note", "arguments"):
            assert secret not in kept[part], (part, secret, kept[part])
    assert "[email]" in kept["transcript"] and "[phone]" in kept["transcript"]
    assert "[card ending 1111]" in kept["transcript"] and "[card ending 1111]" in kept["note"]
    assert kept["lines without words"] == len(SAID)  # each line had something to hide
    assert kept["live"] == SAID  # the console and the SSE stream show what was said
    assert kept["identified"][0] == "Sarah Johnson" and kept["customer_id"] is not None


async def test_verbatim_storage_is_a_setting(settings, no_leaks, monkeypatch):
    monkeypatch.setenv("CALLKIT_STORE_VERBATIM", "1")
    from callkit.config import Settings

    assert Settings.from_env().store_verbatim is True
    kept = await a_call(settings.replace(store_verbatim=True))
    assert kept["transcript"] == " | ".join(SAID)
    assert kept["note"] == SAID[2] and SAID[0] in kept["arguments"]
    assert kept["lines without words"] == 0
