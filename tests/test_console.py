"""The terminal view of `callkit demo`: what a class sees scroll by."""

import io

from callkit.console import TerminalView, clock
from callkit.events import (CallEnded, CallSummary, CustomerContext, SuggestionDone,
                            SuggestionStarted, SuggestionToken, TranscriptFinal,
                            TranscriptPartial)

CUSTOMER = {"name": "Sarah Johnson", "account_number": "48213", "tier": "standard",
            "created_at": "2024-03-02T10:00:00", "lifetime_value": 612.4}


def show(events) -> str:
    out = io.StringIO()
    view = TerminalView(out, color=False)
    for e in events:
        view(e)
    return out.getvalue()


def test_clock_is_minutes_and_tenths():
    assert clock(0) == "00:00.0" and clock(75.26) == "01:15.3" and clock(-1) == "00:00.0"


def test_a_final_line_has_time_speaker_and_text():
    text = show([TranscriptFinal(call_id="c", leg="agent", text="Let me check.", start=8.3,
                                 end=9.0)])
    assert text == "[00:08.3] AGENT    Let me check.\n"


def test_partials_are_not_printed_off_a_terminal():
    text = show([TranscriptPartial(call_id="c", leg="customer", text="Hi I", start=0, end=1)])
    assert text == ""


def test_a_suggestion_streams_on_one_line_then_ends_it():
    sid = "s1"
    words = ["I", " found", " order", " #78901."]
    text = show([SuggestionStarted(call_id="c", suggestion_id=sid, kind="suggestion",
                                   priority="normal", topic="order"),
                 *[SuggestionToken(call_id="c", suggestion_id=sid, text=w) for w in words],
                 SuggestionDone(call_id="c", suggestion_id=sid, kind="suggestion",
                                priority="normal", topic="order", message="".join(words)),
                 TranscriptFinal(call_id="c", leg="agent", text="Yes.", start=1, end=2)])
    lines = text.splitlines()
    assert lines[0].strip() == "💡 suggestion  I found order #78901."
    assert lines[1].startswith("[00:01.0] AGENT")


def test_the_customer_record_and_summary_are_shown():
    text = show([
        CustomerContext(call_id="c", customer=CUSTOMER, orders=({
            "order_number": "78901", "product_name": "Headphones", "status": "shipped"},),
            notes=({"text": "Prefers email updates."},)),
        CallEnded(call_id="c", duration_s=46.8),
        CallSummary(call_id="c", reason="r", resolution="x", action_items=(),
                    sentiment="positive", text="Sarah Johnson called about order #78901."),
    ])
    assert "customer record (DuckDB)" in text
    assert "Sarah Johnson · account #48213 · standard tier · customer since 2024-03" in text
    assert "#78901 Headphones (shipped)" in text and "Prefers email updates." in text
    assert "call completed after 00:46.8" in text
    assert text.rstrip().endswith("Sarah Johnson called about order #78901.")
