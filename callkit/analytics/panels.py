"""The dashboard's panels: which query feeds which figure, and one refresh of them all with the
headline numbers (what the Dashboard widget shows and `callkit bench analytics` times)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from . import figures, queries
from .queries import Period


@dataclass(frozen=True)
class Panel:
    name: str
    query: Callable[[duckdb.DuckDBPyConnection, Period], pd.DataFrame]
    figure: Callable[[pd.DataFrame], go.Figure]


PANELS = tuple(Panel(name, getattr(queries, name), getattr(figures, name)) for name in (
    "calls_per_day", "calls_per_hour", "handle_time", "sentiment_trend", "latency_waterfall",
    "suggestion_outcomes", "alerts_raised", "top_topics", "top_intents", "quick_actions",
    "tool_outcomes"))
BY_NAME = {panel.name: panel for panel in PANELS}


@dataclass
class Refresh:
    """One refresh: headline numbers, a figure per panel, and how long each query took."""

    kpis: dict[str, Any]
    figures: dict[str, go.Figure]
    query_s: dict[str, float] = field(default_factory=dict)


def figure(con: duckdb.DuckDBPyConnection, name: str, period: Period | None = None,
           ) -> go.Figure:
    """One panel's figure over ``period`` (default: today and the 28 days before)."""
    if name not in BY_NAME:
        raise ValueError(f"no panel {name!r}: use one of {', '.join(BY_NAME)}")
    panel = BY_NAME[name]
    return panel.figure(panel.query(con, period or Period.last_days(28)))


def call_sentiment(con: duckdb.DuckDBPyConnection, call_id: str) -> go.Figure:
    """The customer's sentiment line by line through one call."""
    return figures.sentiment_timeline(queries.sentiment_timeline(con, call_id), call_id)


def refresh(con: duckdb.DuckDBPyConnection, period: Period) -> Refresh:
    """Every panel, the sentiment of the call to follow (the live one, else the latest) and
    the headline numbers, each query timed."""
    frames, query_s = {}, {}

    def timed(name: str, run: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = run()
        query_s[name] = time.perf_counter() - started
        return result

    for panel in PANELS:
        frames[panel.name] = timed(panel.name, lambda: panel.query(con, period))
    totals = timed("call_totals", lambda: queries.call_totals(con, period)).iloc[0]
    latest = timed("latest_call", lambda: queries.latest_call(con, period))
    shown = {name: panel.figure(frames[name]) for name, panel in BY_NAME.items()}
    if latest is not None:
        timeline = timed("sentiment_timeline", lambda: queries.sentiment_timeline(con, latest))
        shown["sentiment_timeline"] = figures.sentiment_timeline(timeline, latest)
    return Refresh(kpis=headline(totals, frames, latest), figures=shown, query_s=query_s)


def headline(totals: pd.Series, frames: dict[str, pd.DataFrame],
             latest: str | None) -> dict[str, Any]:
    """The numbers on the dashboard's tiles, as JSON-able values (None when unknown)."""
    outcomes, latency = frames["suggestion_outcomes"], frames["latency_waterfall"]
    shown = int(outcomes.shown.sum())
    whole = latency[latency.step == "speech end → shown"]

    def number(value: Any, digits: int = 3) -> float | None:
        return None if value is None or pd.isna(value) else round(float(value), digits)

    return {
        "calls": int(totals.calls), "active": int(totals.active),
        "avg_handle_min": number(totals.avg_handle_s / 60 if totals.avg_handle_s else None, 2),
        "abandoned_share": number(totals.abandoned_share),
        "negative_share": number(totals.negative_share),
        "suggestions": shown,
        "acceptance": number(outcomes.used.sum() / shown) if shown else None,
        "alerts": int(frames["alerts_raised"].alerts.sum()),
        "speech_end_to_shown_p50_s": number(whole.p50_s.iloc[0]) if len(whole) else None,
        "speech_end_to_shown_p95_s": number(whole.p95_s.iloc[0]) if len(whole) else None,
        "latest_call": latest,
    }
