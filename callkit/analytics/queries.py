"""The dashboard's numbers: plain SQL over the tables the recorder writes (store/schema.sql).

Each function runs one query and returns a pandas DataFrame; figures.py draws them. A query
reads one :class:`Period` and gets its values as parameters (``$since``), never pasted into
the SQL. Times in the tables are local wall-clock times, as the recorder writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ..events import QUICK_ACTIONS


@dataclass(frozen=True)
class Period:
    """Calls (or rows) from ``since`` up to, not including, ``until``."""

    since: dt.datetime
    until: dt.datetime

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> "Period":
        """Today and the ``days`` whole days before it."""
        today = (now or dt.datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(today - dt.timedelta(days=days), today + dt.timedelta(days=1))

    @property
    def params(self) -> dict[str, dt.datetime]:
        return {"since": self.since, "until": self.until}


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    return con.execute(sql, params).df()


def data_version(con: duckdb.DuckDBPyConnection) -> tuple:
    """Changes whenever a call starts or ends, someone says something, a card is shown or the
    agent clicks: the live dashboard redraws only then."""
    return con.execute("""
        SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM calls WHERE status = 'active'),
               (SELECT max(id) FROM transcripts), (SELECT count(*) FROM ai_suggestions),
               (SELECT max(id) FROM agent_actions)""").fetchone()


def call_totals(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """One row: calls, how many are live, average handle time, abandoned and negative shares."""
    return _df(con, """
        SELECT count(*) AS calls,
               count(*) FILTER (status = 'active') AS active,
               avg(duration_seconds) FILTER (status = 'completed') AS avg_handle_s,
               count(*) FILTER (status = 'abandoned') / greatest(count(*), 1) AS abandoned_share,
               count(*) FILTER (sentiment = 'negative') / greatest(count(*), 1) AS negative_share
        FROM calls WHERE start_time >= $since AND start_time < $until""", period.params)


def calls_per_day(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """day, status (completed, abandoned, active), calls."""
    return _df(con, """
        SELECT CAST(start_time AS DATE) AS day, status, count(*) AS calls
        FROM calls WHERE start_time >= $since AND start_time < $until
        GROUP BY ALL ORDER BY day, status""", period.params)


def calls_per_hour(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """hour (0-23), typical_day (calls that hour on an average earlier day of the period) and
    last_day (calls that hour on the period's last day: today, for a period ending today)."""
    return _df(con, """
        WITH per_hour AS (
            SELECT hour(start_time) AS hour,
                   start_time >= $until - INTERVAL 1 DAY AS last_day, count(*) AS calls
            FROM calls WHERE start_time >= $since AND start_time < $until GROUP BY ALL)
        SELECT h.range AS hour,
               coalesce(sum(calls) FILTER (NOT last_day), 0)
                   / greatest(date_diff('day', $since, $until) - 1, 1) AS typical_day,
               coalesce(sum(calls) FILTER (last_day), 0) AS last_day
        FROM range(24) h LEFT JOIN per_hour p ON p.hour = h.range
        GROUP BY h.range ORDER BY hour""", period.params)


def handle_time(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """day, calls, avg_minutes and p90_minutes of completed calls (start to hang-up, holds
    included)."""
    return _df(con, """
        SELECT CAST(start_time AS DATE) AS day, count(*) AS calls,
               avg(duration_seconds) / 60 AS avg_minutes,
               quantile_cont(duration_seconds, 0.9) / 60 AS p90_minutes
        FROM calls
        WHERE status = 'completed' AND start_time >= $since AND start_time < $until
        GROUP BY day ORDER BY day""", period.params)


def sentiment_trend(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """day, calls labelled positive / neutral / negative (by their customer's mean)."""
    return _df(con, """
        SELECT CAST(start_time AS DATE) AS day,
               count(*) FILTER (sentiment = 'positive') AS positive,
               count(*) FILTER (sentiment = 'neutral') AS neutral,
               count(*) FILTER (sentiment = 'negative') AS negative
        FROM calls WHERE start_time >= $since AND start_time < $until
        GROUP BY day ORDER BY day""", period.params)


def latest_call(con: duckdb.DuckDBPyConnection, period: Period) -> str | None:
    """The call to follow live: the latest one still going, else the latest one started."""
    row = con.execute("""
        SELECT call_id FROM calls WHERE start_time >= $since AND start_time < $until
        ORDER BY status = 'active' DESC, start_time DESC LIMIT 1""", period.params).fetchone()
    return row[0] if row else None


def sentiment_timeline(con: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    """start_s (call time), sentiment (-1..1) and text of each of the customer's lines."""
    return _df(con, """
        SELECT start_s, sentiment, text FROM transcripts
        WHERE call_id = $call_id AND speaker = 'customer' AND sentiment IS NOT NULL
        ORDER BY start_s""", {"call_id": call_id})


def suggestion_outcomes(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """kind, topic, shown, used, dismissed, ignored (no button pressed, including cards of
    calls still going) and acceptance (used / shown)."""
    return _df(con, """
        SELECT suggestion_type AS kind, topic, count(*) AS shown,
               count(*) FILTER (feedback = 'used') AS used,
               count(*) FILTER (feedback = 'dismissed') AS dismissed,
               count(*) FILTER (feedback IS NULL) AS ignored,
               count(*) FILTER (feedback = 'used') / count(*) AS acceptance
        FROM ai_suggestions WHERE timestamp >= $since AND timestamp < $until
        GROUP BY ALL ORDER BY shown DESC, kind, topic""", period.params)


def top_topics(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """topic (what the assistant's cards were about), suggestions, calls."""
    return _df(con, """
        SELECT topic, count(*) AS suggestions, count(DISTINCT call_id) AS calls
        FROM ai_suggestions WHERE timestamp >= $since AND timestamp < $until
        GROUP BY topic ORDER BY calls DESC, topic""", period.params)


def top_intents(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """intent (what callers called about: the summary's topics), calls."""
    return _df(con, """
        SELECT intent, count(*) AS calls
        FROM (SELECT unnest(CAST(topics AS VARCHAR[])) AS intent FROM call_summaries
              WHERE created_at >= $since AND created_at < $until)
        GROUP BY intent ORDER BY calls DESC, intent""", period.params)


def alerts_raised(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """topic, alerts, calls and used (alerts the agent acted on)."""
    return _df(con, """
        SELECT topic, count(*) AS alerts, count(DISTINCT call_id) AS calls,
               count(*) FILTER (feedback = 'used') AS used
        FROM ai_suggestions
        WHERE suggestion_type = 'alert' AND timestamp >= $since AND timestamp < $until
        GROUP BY topic ORDER BY alerts DESC, topic""", period.params)


def quick_actions(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """action (QUICK_ACTIONS' names), times, calls."""
    return _df(con, """
        SELECT action, count(*) AS times, count(DISTINCT call_id) AS calls
        FROM agent_actions
        WHERE list_contains($actions, action) AND timestamp >= $since AND timestamp < $until
        GROUP BY action ORDER BY times DESC, action""",
               {**period.params, "actions": list(QUICK_ACTIONS)})


def tool_outcomes(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """tool, outcome (what it found: one match, several matches, no match, found, not found,
    error), calls and avg_ms."""
    return _df(con, """
        SELECT tool,
               CASE WHEN error = 'not_found' THEN 'not found'
                    WHEN error IS NOT NULL THEN 'error'
                    WHEN matches IS NULL THEN 'found'   -- an order, a product's terms
                    WHEN matches = 0 THEN 'no match' WHEN matches = 1 THEN 'one match'
                    ELSE 'several matches' END AS outcome,
               count(*) AS calls, 1000 * avg(duration_s) AS avg_ms
        FROM (SELECT name AS tool, duration_s, result ->> '$.error.code' AS error,
                     json_array_length(result, '$.matches') AS matches
              FROM tool_calls WHERE timestamp >= $since AND timestamp < $until)
        GROUP BY ALL ORDER BY tool, calls DESC""", period.params)


def latency_waterfall(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """step, p50_s, p95_s and turns for each step of the turns the assistant answered (speech
    end -> final -> first suggestion token -> shown on the agent's screen) and the whole way.
    A step counts the turns that reached both its marks: "shown" needs a console open."""
    return _df(con, """
        WITH answered AS (
            SELECT date_diff('microsecond', speech_end, final) / 1e6 AS to_final,
                   date_diff('microsecond', final, first_token) / 1e6 AS to_token,
                   date_diff('microsecond', first_token, shown) / 1e6 AS to_shown,
                   date_diff('microsecond', speech_end, shown) / 1e6 AS whole
            FROM turn_latency
            WHERE first_token IS NOT NULL AND speech_end >= $since AND speech_end < $until),
        q AS MATERIALIZED (  -- one pass: [p50, p95] and a count per step
            SELECT quantile_cont(to_final, [0.5, 0.95]) AS final_q, count(to_final) AS final_n,
                   quantile_cont(to_token, [0.5, 0.95]) AS token_q, count(to_token) AS token_n,
                   quantile_cont(to_shown, [0.5, 0.95]) AS shown_q, count(to_shown) AS shown_n,
                   quantile_cont(whole, [0.5, 0.95]) AS whole_q, count(whole) AS whole_n
            FROM answered)
        SELECT 'speech end → final' AS step, final_q[1] AS p50_s, final_q[2] AS p95_s,
               final_n AS turns FROM q
        UNION ALL SELECT 'final → first token', token_q[1], token_q[2], token_n FROM q
        UNION ALL SELECT 'first token → shown', shown_q[1], shown_q[2], shown_n FROM q
        UNION ALL SELECT 'speech end → shown', whole_q[1], whole_q[2], whole_n FROM q""",
               period.params)
