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


def card(sid, words, kind="suggestion"):
    return ([SuggestionStarted(call_id="c", suggestion_id=sid, kind=kind, priority="normal",
                               topic="order")],
            [SuggestionToken(call_id="c", suggestion_id=sid, text=w) for w in words],
            [SuggestionDone(call_id="c", suggestion_id=sid, kind=kind, priority="normal",
                            topic="order", message="".join(words))])


def test_cards_streaming_at_once_are_each_printed_whole_once():
    """A model's card streams while the rules' does, and a transcript line comes between:
    off a terminal each card is printed once, whole, when done."""
    a_start, a_words, a_done = card("a", ["Order", " #78901", " shipped."])
    b_start, b_words, b_done = card("b", ["Offer", " the", " tracking", " link."])
    text = show([*a_start, a_words[0], *b_start, b_words[0], a_words[1],
                 TranscriptFinal(call_id="c", leg="agent", text="Yes.", start=1, end=2),
                 a_words[2], *b_words[1:], *a_done, *b_done])
    assert text.count("Order") == 1 and text.count("Offer") == 1
    assert "Order #78901 shipped." in text and "Offer the tracking link." in text


def test_on_a_terminal_an_interrupted_card_is_erased_then_printed_whole():
    out = io.StringIO()
    view = TerminalView(out, color=False)
    view.live = True
    a_start, a_words, a_done = card("a", ["Order", " #78901", " shipped."])
    for e in [*a_start, a_words[0],
              TranscriptFinal(call_id="c", leg="agent", text="Yes.", start=1, end=2),
              *a_words[1:], *a_done]:
        view(e)
    text = out.getvalue()
    assert "\r\x1b[J[00:01.0] AGENT" in text  # the half-drawn card cleared first
    assert text.rstrip().endswith("Order #78901 shipped.")


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
