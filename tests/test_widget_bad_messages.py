"""Whatever a widget's view sends (not an object, no kind, megabytes, NUL and lone surrogates,
the wrong types, binary buffers), the kernel side answers with a short error or ignores it,
raises nothing, and stores no more than a few kB (issue 15). Real call center and DuckDB."""

import asyncio

import duckdb
import pytest
import pytest_asyncio

from callkit.agent_console import AgentConsole
from callkit.analytics import CallHistory, Dashboard
from callkit.center import CallCenter
from callkit.widgets import Phone
from tests.test_call_end import NoSpeechRecognizer
from tests.waiting import until
from tests.widget_messages import sent_by, settle

pytestmark = pytest.mark.integration
HUGE = "x" * 5_000_000
NOT_REQUESTS = [None, 5, "sync", ["kind", "sync"], {}, {"kind": None}, {"kind": HUGE},
                {"kind": "\x00\ud800"}, {"kind": "no such request"}]
# Requests of a known kind with every value wrong: too big, the wrong type, absurd numbers.
BAD_VALUES = [HUGE, "\x00" * 1000, "\ud800\udfff", "🙂" * 10_000, None, [], {"a": 1}, True,
              10**30, -1, float("nan"), float("inf")]


def each_request(kinds, keys):
    for kind in kinds:
        for value in BAD_VALUES:
            yield {"kind": kind, **{key: value for key in keys}}


@pytest_asyncio.fixture
async def loop_errors():
    """Exceptions that escaped into the event loop (a task nobody awaited, a callback)."""
    loop = asyncio.get_running_loop()
    errors = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(None)


def errors_in(sent):
    return [m for m in sent if m.get("kind") == "error"]


async def test_the_agent_console_refuses_bad_requests_and_stores_little(settings, no_leaks,
                                                                         loop_errors):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        console = AgentConsole(call)
        sent = sent_by(console)
        for content in NOT_REQUESTS:
            console._on_msg(console, content, [])
        await settle()
        assert len(errors_in(sent)) == len(NOT_REQUESTS)
        requests = list(each_request(("shown", "feedback", "action", "pick", "flag", "mute"),
                                     ("ids", "id", "action", "customer_id", "at_s", "text",
                                      "leg")))
        for content in requests:
            console._on_msg(console, content, [b"\x00" * 1_000_000])
        console._on_msg(console, {"kind": "flag", "at_s": 1.5, "text": HUGE}, [])
        console._on_msg(console, {"kind": "action", "action": "template", "text": HUGE}, [])
        await settle()
        assert all(len(m["message"]) <= 300 for m in errors_in(sent))
        assert len(errors_in(sent)) >= len(requests) - 2 * len(BAD_VALUES)
        console.close()
        await call.end()
    assert loop_errors == []
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        notes = con.execute("SELECT max(length(note)) FROM flagged_moments WHERE call_id = $1",
                            [call.call_id]).fetchone()[0]
        payloads = con.execute("SELECT max(length(payload)) FROM agent_actions "
                               "WHERE call_id = $1", [call.call_id]).fetchone()[0]
    finally:
        con.close()
    assert notes == 500 and payloads < 2_200  # the flag and the quick response, cut short


async def test_the_phone_refuses_what_is_no_offer(settings, no_leaks, loop_errors):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        phone = Phone(call, leg="agent")
        sent = sent_by(phone)
        for content in NOT_REQUESTS + list(each_request(("offer",), ("sdp",))):
            phone._on_msg(phone, content, [b"\xff" * 1_000_000])
        await until(lambda: len(errors_in(sent)) >= len(NOT_REQUESTS) + len(BAD_VALUES),
                    "every bad offer to be answered")
        messages = [m["message"] for m in errors_in(sent)]
        assert all(len(m) <= 300 for m in messages)
        assert any("over 64 kB" in m for m in messages) and "agent" not in call.legs
        phone.close()
        await settle()
    assert loop_errors == []


async def test_the_analytics_widgets_refuse_bad_requests(settings, no_leaks, loop_errors):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        board, history = Dashboard(center), CallHistory(center)
        board_sent, history_sent = sent_by(board), sent_by(history)
        for content in NOT_REQUESTS:
            board._on_msg(board, content, [b"\x00" * 1_000_000])
        await settle()
        assert len(errors_in(board_sent)) == len(NOT_REQUESTS)
        requests = NOT_REQUESTS + [{"kind": "find", "id": 1, "filters": HUGE}] + list(
            each_request(("find", "open", "export"), ("id", "call_id", "format"))) + [
            {"kind": "find", "id": 2, "filters": {key: value for key in
             ("customer", "text", "topic", "since", "until", "limit")}} for value in BAD_VALUES]
        for content in requests:
            history._on_msg(history, content, [])
        # Every request is answered, refused or not: the view never waits forever.
        await until(lambda: len(history_sent) == len(requests), "every request to be answered",
                    timeout=120)
        assert all(len(m["message"]) <= 300 for m in errors_in(history_sent))
        await board.aclose()
        await history.aclose()
    assert loop_errors == []
