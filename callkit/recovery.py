"""Calls that a process left open when it died (``kill -9``, a crash, the power going out).

Such a call's row still says ``active``, and it has no summary: the process that would have
ended it is gone. Every final was written as it came (store/recorder.py), so what was said
is in the database; the next process that opens the file ends those calls as *abandoned*
and writes their summary from what was stored, with the same rules and summary a live call
uses. It runs when a CallCenter opens its own database file: DuckDB lets one process at a
time write a file, so no live call can own a row that still says ``active`` then.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from typing import Any

import duckdb

from .assistant.memory import CallMemory
from .assistant.rules import RulesEngine
from .assistant.summary import summarize
from .assistant.tools import ToolRunner
from .events import QUICK_ACTIONS, CallEnded, CallSummary, TranscriptFinal
from .extensions import Extensions
from .store.db import Database
from .store.recorder import Recorder

log = logging.getLogger(__name__)
REASON = "the program running the call stopped before the call ended"


def recover_orphaned_calls(db: Database, extensions: Extensions = Extensions(), *,
                           live: frozenset[str] = frozenset()) -> list[str]:
    """End every call still ``active`` in ``db`` as abandoned, with a summary of what was
    stored; returns their ids. ``live`` are calls this process is running (another center
    on the same file): they are left alone."""
    orphans = [call_id for call_id, in db.run_sync(lambda con: con.execute(
        "SELECT call_id FROM calls WHERE status = 'active' ORDER BY start_time").fetchall())
        if call_id not in live]
    if not orphans:
        return []
    # The rules engine is async; it runs on a loop of its own in a short-lived thread, so
    # this works whether or not the caller's thread runs a loop (a notebook's does).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="callkit-recovery") as pool:
        pool.submit(asyncio.run, _recover_all(db, extensions, orphans)).result()
    return orphans


async def _recover_all(db: Database, extensions: Extensions, call_ids: list[str]) -> None:
    for call_id in call_ids:
        try:
            await _recover(db, extensions, call_id)
        except Exception:  # one unreadable call must not keep the others (or the kit) down
            log.exception("could not summarize call %s; marking it abandoned without one",
                          call_id)
            await Recorder(db).handle(CallEnded(call_id=call_id, status="abandoned",
                                                reason=REASON))
        log.warning("call %s was left open by a program that stopped: stored as abandoned",
                    call_id)


async def _recover(db: Database, extensions: Extensions, call_id: str) -> None:
    stored = await db.run(_stored, call_id)
    recorder = Recorder(db)
    if not stored["summarized"]:  # (a summary written before the end came is kept)
        await recorder.handle(await _summary(db, extensions, call_id, stored))
    await recorder.handle(CallEnded(call_id=call_id, wall=stored["last"].timestamp(),
                                    status="abandoned", duration_s=stored["duration_s"],
                                    reason=REASON))


async def _summary(db: Database, extensions: Extensions, call_id: str,
                   stored: dict[str, Any]) -> CallSummary:
    """The summary a live call would have had, from what it stored."""
    tools = ToolRunner(db.run, lambda *report: None, extensions.tools,
                       today=stored["started"].date())
    rules = RulesEngine(tools, extra_rules=extensions.rules)
    memory = CallMemory()
    if stored["caller"]:
        await _drain(rules.caller_id(stored["caller"], memory))
    for leg, turn, text, start, end in stored["finals"]:
        memory.add_turn(leg, text, start)
        await _drain(rules.on_final(TranscriptFinal(call_id=call_id, leg=leg, text=text,
                                                    start=start, end=end, turn=turn), memory))
    customer_id = stored["customer_id"]
    if customer_id is not None and (memory.customer or {}).get("id") != customer_id:
        await _drain(rules.pick(customer_id, memory))  # whom the agent settled on
    # What the agent saw and did is stored as it happened, not re-derived.
    memory.shown, memory.feedback = stored["shown"], stored["feedback"]
    memory.actions, memory.flags = stored["actions"], stored["flags"]
    summary = summarize(memory, extensions.action_items)
    return CallSummary(
        call_id=call_id, wall=stored["last"].timestamp(), reason=summary.reason,
        resolution=summary.resolution, action_items=summary.action_items,
        sentiment=summary.sentiment, text=summary.text,
        customer_id=(memory.customer or {}).get("id"), topics=tuple(memory.topics),
        open_questions=tuple(memory.open_questions()), written_by="rules (recovered)")


async def _drain(outputs) -> None:
    """Run an engine step for what it learns into memory; its cards were shown (or not)
    while the call was live."""
    async with aclosing(outputs) as outs:
        async for _ in outs:
            pass


def _stored(con: duckdb.DuckDBPyConnection, call_id: str) -> dict[str, Any]:
    started, customer_id, caller = con.execute(
        "SELECT start_time, customer_id, caller_number FROM calls WHERE call_id = ?",
        [call_id]).fetchone()
    finals = con.execute("SELECT speaker, turn, text, start_s, end_s FROM transcripts "
                         "WHERE call_id = ? ORDER BY start_s, id", [call_id]).fetchall()
    feedback = dict(con.execute("SELECT feedback, count(*) FROM ai_suggestions WHERE call_id = ? "
                                "AND feedback IS NOT NULL GROUP BY feedback", [call_id]).fetchall())
    shown, = con.execute("SELECT count(*) FROM ai_suggestions WHERE call_id = ?",
                         [call_id]).fetchone()
    actions = [QUICK_ACTIONS[a] for a, in con.execute(
        "SELECT action FROM agent_actions WHERE call_id = ? ORDER BY timestamp, id",
        [call_id]).fetchall() if a in QUICK_ACTIONS]
    flags = [tuple(r) for r in con.execute(
        "SELECT at_s, coalesce(note, '') FROM flagged_moments WHERE call_id = ?",
        [call_id]).fetchall()]
    # The call's last sign of life: when it stopped, as near as the database knows.
    last, = con.execute(
        "SELECT max(t) FROM (SELECT max(timestamp) AS t FROM transcripts WHERE "
        "call_id = $1 UNION ALL SELECT max(timestamp) FROM ai_suggestions WHERE call_id = $1 "
        "UNION ALL SELECT start_time FROM calls WHERE call_id = $1)", [call_id]).fetchone()
    summarized = con.execute("SELECT count(*) FROM call_summaries WHERE call_id = ?",
                             [call_id]).fetchone()[0] > 0
    return {"started": started, "summarized": summarized, "customer_id": customer_id,
            "caller": caller, "finals": finals, "shown": shown, "feedback": feedback, "actions": actions,
            "flags": flags, "last": last or started,
            "duration_s": round(max((f[4] for f in finals), default=0.0), 2)}
