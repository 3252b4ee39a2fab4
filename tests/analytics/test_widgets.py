"""The Dashboard and CallHistory widgets' kernel side, without a browser: what they send, that
they follow new calls, and that closing them lets go of their connection and tasks (the
browser test drives the same through a real JupyterLab)."""

import asyncio
import gc
import json

import pytest

from callkit.analytics import CallHistory, CallReplay, Dashboard
from callkit.analytics.dashboard import PERIODS
from callkit.store.db import Database
from tests.widget_messages import sent_by


async def until(found, timeout: float = 10.0):
    """Wait until ``found()`` returns something."""
    async with asyncio.timeout(timeout):
        while not (result := found()):
            await asyncio.sleep(0.02)
    return result


def refreshes(sent) -> list[dict]:
    return [m for m in sent if m["kind"] == "refresh"]


async def test_the_dashboard_sends_nothing_until_a_view_asks_then_follows_new_calls(
        fixture_copy, no_leaks):
    with Database(fixture_copy) as writer:  # a live call center writing to the same file
        board = Dashboard(writer, days=7, refresh_s=0.05)
        sent = sent_by(board)
        await asyncio.sleep(0.2)
        assert sent == [] and repr(board) == "Dashboard(days=7)"
        board._handle({"kind": "sync"})
        first = (await until(lambda: refreshes(sent)))[0]
        assert set(json.loads(first["figures"]["latency_waterfall"])) == {"data", "layout"}
        assert "sentiment_timeline" in first["figures"]
        assert first["kpis"]["calls"] >= 1 and first["query_s"] > 0
        await asyncio.sleep(0.3)
        assert len(refreshes(sent)) == 1  # nothing changed: nothing re-sent
        calls = first["kpis"]["calls"]
        await writer.run(lambda con: con.execute(
            "INSERT INTO calls (call_id, start_time, status) VALUES ('live', now(), 'active')"))
        latest = await until(lambda: [m for m in refreshes(sent)
                                      if m["kpis"]["calls"] == calls + 1])
        assert latest[0]["kpis"]["latest_call"] == "live"
        board.days = PERIODS[-1]  # the view picked another period: redrawn at once
        await until(lambda: len(refreshes(sent)) >= 3)
        await board.aclose()


async def test_history_answers_each_request_with_its_id(fixture_copy, no_leaks):
    history = CallHistory(str(fixture_copy))
    sent = sent_by(history)
    history._handle({"kind": "choices", "id": 1})
    history._handle({"kind": "find", "id": 2, "filters": {"customer": "sarah", "limit": "9"}})
    history._handle({"kind": "find", "id": 3,
                     "filters": {"text": "package", "since": "2026-11-01"}})
    history._handle({"kind": "open", "id": 4, "call_id": "c1"})
    history._handle({"kind": "export", "id": 5, "call_id": "c2", "format": "markdown"})
    history._handle({"kind": "export", "id": 6, "call_id": "c2", "format": "json",
                     "redacted": False})
    history._handle({"kind": "open", "id": 7, "call_id": "nope"})
    history._handle({"kind": "drop tables", "id": 8})
    answers = {m["id"]: m for m in await until(lambda: len(sent) == 8 and sent)}
    assert answers[1]["agents"] == ["Ana Lima", "Ben Ortiz"]
    assert [r["call_id"] for r in answers[2]["rows"]] == ["c1"]
    assert answers[2]["rows"][0]["started"].startswith("2026-11-24T10:05")
    assert answers[3]["rows"][0]["line"].startswith("I think the package is lost")
    assert answers[4]["timeline"]["call"]["call_id"] == "c1"
    assert answers[5]["filename"] == "call-c2.md" and "[card ending 1111]" in answers[5]["text"]
    assert "4111 1111 1111 1111" in json.loads(answers[6]["text"])["transcript"][1]["text"]
    assert answers[7]["kind"] == "error" and "nope" in answers[7]["message"]
    assert answers[8]["kind"] == "error"
    json.dumps(sent)  # everything sent is plain JSON
    await history.aclose()


async def test_a_replay_is_one_call(fixture_copy, no_leaks):
    replay = CallReplay(str(fixture_copy), "c1")
    assert (replay.mode, replay.call_id, repr(replay)) == ("replay", "c1", "CallReplay('c1')")
    await replay.aclose()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_bad_arguments_are_refused_before_anything_opens(fixture_copy):
    with pytest.raises(TypeError):
        Dashboard(42)
    with pytest.raises(ValueError):
        Dashboard(str(fixture_copy), refresh_s=0)
    gc.collect()  # the refused widgets' __del__ closes them quietly
