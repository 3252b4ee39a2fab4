"""Past calls: find them (by customer, date, sentiment, status, agent, topic and the words
said), and read one back as its timeline. Plain SQL, values always passed as parameters.

A timeline is a JSON-able dict: the call, its customer, every transcript line, suggestion
(with the agent's Use / Dismiss), tool call, action and flag at its call time ``at_s``, and the
summary. CallReplay plays it; export.py writes it as JSON or Markdown.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from ..assistant.records import records
from ..store.transcript_search import INDEX, matching_calls, search_words

SEARCH_HITS = 500  # calls a full-text search hands to the filters
JSON_COLUMNS = {"arguments", "result", "payload", "action_items", "topics", "open_questions"}


def find_calls(con: duckdb.DuckDBPyConnection, *, customer: str | None = None,
               since: dt.date | dt.datetime | None = None,
               until: dt.date | dt.datetime | None = None, sentiment: str | None = None,
               status: str | None = None, agent: str | None = None, topic: str | None = None,
               text: str | None = None, limit: int = 50) -> pd.DataFrame:
    """Calls matching every filter given, newest first (best match first when ``text`` is
    searched, with the line that matched best). ``customer``: part of a name, or an account
    or phone number; ``agent``: part of a name; ``topic``: what the caller raised (the
    summary's topics, e.g. billing) or a suggestion's topic (e.g. churn); ``until``: a date
    counts whole."""
    if isinstance(until, dt.date) and not isinstance(until, dt.datetime):
        until = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
    hits = matching_calls(con, text, SEARCH_HITS) if text and text.strip() else []
    found = con.execute("""
        WITH hits AS (SELECT unnest($hit_ids) AS call_id, unnest($hit_scores) AS score,
                             unnest(range(len($hit_ids))) AS rank)
        SELECT c.call_id, c.start_time AS started, cu.name AS customer, c.agent_name AS agent,
               c.status, round(c.duration_seconds / 60, 1) AS minutes, c.sentiment, c.title,
               CAST(s.topics AS VARCHAR[]) AS intents, h.score
        FROM calls c
        LEFT JOIN customers cu ON cu.id = c.customer_id
        LEFT JOIN call_summaries s USING (call_id)
        LEFT JOIN hits h USING (call_id)
        WHERE ($customer IS NULL OR cu.name ILIKE '%' || $customer || '%'
               OR cu.account_number = $customer OR c.caller_number = $customer
               OR cu.phone = $customer)
          AND ($since IS NULL OR c.start_time >= $since)
          AND ($until IS NULL OR c.start_time < $until)
          AND ($sentiment IS NULL OR c.sentiment = $sentiment)
          AND ($status IS NULL OR c.status = $status)
          AND ($agent IS NULL OR c.agent_name ILIKE '%' || $agent || '%')
          AND ($topic IS NULL OR list_contains(CAST(s.topics AS VARCHAR[]), $topic)
               OR EXISTS (SELECT 1 FROM ai_suggestions a
                          WHERE a.call_id = c.call_id AND a.topic = $topic))
          AND (NOT $searched OR h.call_id IS NOT NULL)
        ORDER BY h.rank NULLS LAST, c.start_time DESC
        LIMIT $limit""", {
        "customer": customer or None, "since": since, "until": until,
        "sentiment": sentiment or None, "status": status or None, "agent": agent or None,
        "topic": topic or None, "searched": bool(text and text.strip()), "limit": limit,
        "hit_ids": [h[0] for h in hits], "hit_scores": [h[1] for h in hits]}).df()
    if text and text.strip():
        lines = best_lines(con, list(found.call_id), text)
        found = found.merge(lines, on="call_id", how="left")
    return found


def best_lines(con: duckdb.DuckDBPyConnection, call_ids: list[str], text: str) -> pd.DataFrame:
    """call_id, line_at_s, line_speaker, line (the line of each call sharing the most words
    with ``text``, stemmed as the search index stems them)."""
    return con.execute(f"""
        WITH asked AS (SELECT list(DISTINCT stem(w, 'porter')) AS stems
                       FROM (SELECT unnest($words) AS w)),
        lines AS (SELECT call_id, start_s, speaker, text,
                         list_intersect(list_transform({INDEX}.tokenize(text),
                                                       lambda t: stem(t, 'porter')),
                                        (SELECT stems FROM asked)) AS shared
                  FROM transcripts WHERE call_id IN (SELECT unnest($ids)))
        SELECT call_id, start_s AS line_at_s, speaker AS line_speaker, text AS line
        FROM lines WHERE len(shared) > 0
        QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY len(shared) DESC, start_s) = 1
        """, {"ids": call_ids, "words": search_words(text)}).df()


def call_timeline(con: duckdb.DuckDBPyConnection, call_id: str) -> dict[str, Any]:
    """Everything stored about one call, in call time (seconds from its start)."""
    call = records(con.execute("""
        SELECT call_id, title, start_time AS started, end_time AS ended, duration_seconds,
               status, end_reason, agent_name AS agent, sentiment, caller_number, customer_id
        FROM calls WHERE call_id = $1""", [call_id]))
    if not call:
        raise LookupError(f"no call {call_id!r}")
    call = call[0]
    customer = records(con.execute(
        "SELECT id, name, account_number, tier, email, phone FROM customers WHERE id = $1",
        [call.pop("customer_id")]))

    def rows(sql: str) -> list[dict[str, Any]]:
        # AT_S: seconds from the call's start (the transcript's clock starts there too).
        found = records(con.execute(sql.replace(
            "AT_S", "round(epoch(timestamp) - epoch((SELECT start_time FROM calls "
                    "WHERE call_id = $1)), 2) AS at_s"), [call_id]))
        for row in found:  # JSON columns come back as text
            for key in JSON_COLUMNS & row.keys():
                if isinstance(row[key], str):
                    row[key] = json.loads(row[key])
        return found

    summary = rows("SELECT reason, resolution, action_items, sentiment, text, topics, "
                   "open_questions, written_by FROM call_summaries WHERE call_id = $1")
    return {
        "call": call,
        "customer": customer[0] if customer else None,
        "transcript": rows(
            "SELECT round(start_s, 2) AS at_s, round(end_s, 2) AS end_s, speaker, text, "
            "sentiment FROM transcripts WHERE call_id = $1 ORDER BY start_s, id"),
        "suggestions": rows(
            "SELECT AT_S, id, suggestion_type AS kind, priority, topic, message, feedback "
            "FROM ai_suggestions WHERE call_id = $1 ORDER BY timestamp, id"),
        "tool_calls": rows(
            "SELECT AT_S, name, arguments, result, round(1000 * duration_s, 1) AS ms "
            "FROM tool_calls WHERE call_id = $1 ORDER BY timestamp, id"),
        "actions": rows(
            "SELECT AT_S, action, payload FROM agent_actions WHERE call_id = $1 "
            "AND NOT starts_with(action, 'suggestion_') ORDER BY timestamp, id"),
        "flags": rows("SELECT round(at_s, 2) AS at_s, note FROM flagged_moments "
                             "WHERE call_id = $1 ORDER BY at_s, id"),
        "summary": summary[0] if summary else None,
    }


def filter_choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """What the history's filter menus offer: the agents, statuses, sentiments and topics
    that occur in the stored calls."""
    row = con.execute("""
        SELECT (SELECT list(DISTINCT agent_name ORDER BY agent_name) FROM calls),
               (SELECT list(DISTINCT status ORDER BY status) FROM calls),
               (SELECT list(DISTINCT sentiment ORDER BY sentiment) FROM calls),
               (SELECT list(DISTINCT topic ORDER BY topic) FROM (
                    SELECT unnest(CAST(topics AS VARCHAR[])) AS topic FROM call_summaries
                    UNION SELECT DISTINCT topic FROM ai_suggestions))""").fetchone()
    return {name: [v for v in (values or []) if v is not None]
            for name, values in zip(("agents", "statuses", "sentiments", "topics"), row)}
