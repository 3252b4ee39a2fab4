"""Writes a call to DuckDB as it happens: the call row, every final, suggestion, tool call,
agent action (with the credit, fee reversal, escalation or callback it stands for), the
latency marks of each turn and the summary. It runs as a bus subscriber, in event order, on
the database thread.

What people said is stored through ``scrub`` (call.py passes assistant/redact.py's ``redact``
unless ``CALLKIT_STORE_VERBATIM=1``): transcript lines, flag notes and tool-call arguments (a
spoken lookup quotes the caller). A line that scrubbing changed keeps no word timings: the
words one by one ("four", "one", "five" …) would give back the number the line hides.
Writes of more than one statement are one transaction (db.transaction)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict

import duckdb

from ..events import (MARKS, AgentAction, CallEnded, CallerID, CallStarted, CallSummary,
                      CustomerContext, Event, LatencyMark, MomentFlagged, Sentiment,
                      SuggestionDone, SuggestionFeedback, ToolCall, TranscriptFinal)
from .actions import record_action
from .db import Database, transaction

RECORDED = (CallStarted, CallerID, CallEnded, TranscriptFinal, Sentiment, SuggestionDone,
            SuggestionFeedback, ToolCall, CustomerContext, CallSummary, AgentAction,
            MomentFlagged, LatencyMark)


def _ts(wall: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(wall)


def verbatim(text: str) -> str:
    return text


def _write(con: duckdb.DuckDBPyConnection, event: Event,
           scrub: Callable[[str], str] = verbatim) -> None:
    if isinstance(event, CallStarted):
        con.execute(
            "INSERT INTO calls (call_id, agent_name, title, start_time, status) "
            "VALUES ($1, $2, $3, $4, 'active')",
            [event.call_id, event.agent_name, event.title, _ts(event.wall)])
    elif isinstance(event, TranscriptFinal):
        text = scrub(event.text)
        words = [asdict(w) for w in event.words] if text == event.text else []
        con.execute(
            "INSERT INTO transcripts (call_id, speaker, turn, text, timestamp, start_s, end_s, "
            "confidence, words) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [event.call_id, event.leg, event.turn, text, _ts(event.wall), event.start,
             event.end, event.confidence, json.dumps(words)])
    elif isinstance(event, Sentiment):
        con.execute("UPDATE transcripts SET sentiment = $1 WHERE call_id = $2 AND speaker = $3 "
                    "AND turn = $4", [event.score, event.call_id, event.leg, event.turn])
    elif isinstance(event, SuggestionFeedback):  # on the card, and in the agent's log
        with transaction(con):
            _feedback(con, event)
    elif isinstance(event, SuggestionDone):
        con.execute(
            "INSERT INTO ai_suggestions (id, call_id, suggestion_type, priority, topic, message, "
            "timestamp, sources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [event.suggestion_id, event.call_id, event.kind, event.priority, event.topic,
             event.message, _ts(event.wall), json.dumps(list(event.sources), default=str)])
    elif isinstance(event, ToolCall):
        con.execute(
            "INSERT INTO tool_calls (call_id, name, arguments, result, duration_s, timestamp) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            [event.call_id, event.name, scrub(json.dumps(event.arguments, ensure_ascii=False)),
             json.dumps(event.result, default=str), event.duration_s, _ts(event.wall)])
    elif isinstance(event, CustomerContext) and event.customer is not None:
        con.execute("UPDATE calls SET customer_id = $1 WHERE call_id = $2",
                    [event.customer["id"], event.call_id])
    elif isinstance(event, CallSummary):
        with transaction(con):
            _summary(con, event)
    elif isinstance(event, AgentAction):  # the log row, and what a quick action stands for
        record_action(con, event)
    elif isinstance(event, MomentFlagged):
        con.execute("INSERT INTO flagged_moments (call_id, at_s, note, timestamp) "
                    "VALUES ($1, $2, $3, $4)",
                    [event.call_id, event.at_s, scrub(event.note), _ts(event.wall)])
    elif isinstance(event, CallEnded):
        con.execute(
            "UPDATE calls SET status = $1, end_time = $2, duration_seconds = $3, end_reason = $4 "
            "WHERE call_id = $5",
            [event.status, _ts(event.wall), event.duration_s, event.reason or None,
             event.call_id])
    elif isinstance(event, LatencyMark) and event.name in MARKS:
        # The column is one of MARKS (a fixed list), never text from outside; the first time
        # a mark is reached counts, as in metrics.LatencyTracker.
        con.execute(
            f"INSERT INTO turn_latency (call_id, leg, turn, {event.name}) VALUES ($1, $2, $3, $4) "
            f"ON CONFLICT DO UPDATE SET {event.name} = "
            f"coalesce(turn_latency.{event.name}, excluded.{event.name})",
            [event.call_id, event.leg, event.turn, _ts(event.wall)])
    elif isinstance(event, CallerID):
        con.execute("UPDATE calls SET caller_number = $1 WHERE call_id = $2",
                    [event.number, event.call_id])


def _feedback(con: duckdb.DuckDBPyConnection, event: SuggestionFeedback) -> None:
    con.execute("UPDATE ai_suggestions SET feedback = $1, used = $2 WHERE id = $3",
                [event.action, event.action == "used", event.suggestion_id])
    con.execute("INSERT INTO agent_actions (call_id, action, payload, timestamp) "
                "VALUES ($1, $2, $3, $4)",
                [event.call_id, f"suggestion_{event.action}",
                 json.dumps({"suggestion_id": event.suggestion_id}), _ts(event.wall)])


def _summary(con: duckdb.DuckDBPyConnection, event: CallSummary) -> None:
    con.execute(
        "INSERT OR REPLACE INTO call_summaries (call_id, reason, resolution, action_items, "
        "sentiment, text, topics, open_questions, written_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [event.call_id, event.reason, event.resolution, json.dumps(list(event.action_items)),
         event.sentiment, event.text, json.dumps(list(event.topics)),
         json.dumps(list(event.open_questions)), event.written_by, _ts(event.wall)])
    con.execute("UPDATE calls SET summary = $1, sentiment = $2 WHERE call_id = $3",
                [event.text, event.sentiment, event.call_id])


class Recorder:
    def __init__(self, db: Database, scrub: Callable[[str], str] = verbatim):
        self.db = db
        self.scrub = scrub

    async def handle(self, event: Event) -> None:
        await self.db.run(_write, event, self.scrub)
