"""`callkit bench analytics`: the dashboard's queries and the call history on a big past.

Seeds a fresh DuckDB file with the demo data and ``calls`` past calls holding about ``lines``
transcript lines (store/history_seed.py), then times every dashboard query over the whole
past (the widest period the dashboard offers, so the slowest), one full refresh (queries and
figures, as the Dashboard widget runs it), a refresh of the default 28-day view, and the call
history's filter, search and replay queries. Each time is the median of ``repeat`` runs after
one warm-up run.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ..analytics.history import call_timeline, find_calls
from ..analytics.panels import refresh
from ..analytics.queries import Period
from ..store.db import connect
from ..store.history_seed import HistorySize, seed_history
from ..store.seed import seed
from .report import median_time

# The history queries a user waits on, each given the seeded database and its latest call.
HISTORY: dict[str, Callable[[duckdb.DuckDBPyConnection, str], Any]] = {
    "history_list": lambda con, _: find_calls(con),
    "history_filter": lambda con, _: find_calls(con, customer="johnson", sentiment="negative",
                                                topic="frustration"),
    "history_search": lambda con, _: find_calls(con, text="supervisor unacceptable"),
    "history_search_order": lambda con, _: find_calls(con, text="78901"),
    "call_timeline": call_timeline,
}


def run_bench(path: Path, *, calls: int, lines: int, days: int, repeat: int = 5,
              today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()
    if path.exists():
        raise ValueError(f"{path} exists: the bench builds a fresh database")
    con = connect(path)
    try:
        started = time.perf_counter()
        seed(con, today=today)
        counts = seed_history(con, size=HistorySize.of(calls, lines, days), today=today)
        seed_s = time.perf_counter() - started
        con.execute("CHECKPOINT")
        row: dict[str, Any] = {"calls": counts["calls"], "transcript_rows": counts["transcripts"],
                               "seed_s": round(seed_s, 1),
                               "db_size_mb": round(os.path.getsize(path) / 1e6, 1)}
        everything = Period.last_days(days, now=dt.datetime.combine(today, dt.time(12)))
        per_query: dict[str, list[float]] = {}
        refresh(con, everything)  # warm-up
        whole = []
        for _ in range(repeat):
            started = time.perf_counter()
            done = refresh(con, everything)
            whole.append(time.perf_counter() - started)
            for name, seconds in done.query_s.items():
                per_query.setdefault(name, []).append(seconds)
        for name, seconds in per_query.items():
            row[f"{name}_query_s"] = round(statistics.median(seconds), 4)
        row["dashboard_refresh_s"] = round(statistics.median(whole), 3)
        row["dashboard_queries_s"] = round(sum(statistics.median(s) for s in per_query.values()), 3)
        month = Period.last_days(28, now=dt.datetime.combine(today, dt.time(12)))
        row["dashboard_refresh_28d_s"] = round(median_time(lambda: refresh(con, month), repeat), 3)
        latest = find_calls(con, limit=1).call_id[0]
        for name, run in HISTORY.items():
            row[f"{name}_query_s"] = round(median_time(lambda: run(con, latest), repeat), 4)
    finally:
        con.close()
    return row


def slowest(row: dict[str, Any]) -> tuple[str, float]:
    name = max((k for k in row if k.endswith("_query_s")), key=lambda k: row[k])
    return name, row[name]
