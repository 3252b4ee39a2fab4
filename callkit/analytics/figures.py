"""Plotly figures of the dashboard, one per query of queries.py, each drawn from the query's
DataFrame: titles, axis labels with units, and the same colours for the same things."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..events import QUICK_ACTIONS

STATUS_COLOURS = {"completed": "#4c78a8", "abandoned": "#f58518", "active": "#54a24b"}
SENTIMENT_COLOURS = {"positive": "#54a24b", "neutral": "#9d9d9d", "negative": "#e45756"}
FEEDBACK_COLOURS = {"used": "#54a24b", "dismissed": "#e45756", "ignored": "#c7c7c7"}
ACTION_LABELS = {**QUICK_ACTIONS, "template": "Inserted a quick response"}


def _figure(title: str, x: str, y: str, data: pd.DataFrame, height: int = 320,
            empty: str = "no calls in this period yet") -> go.Figure:
    """A figure with its labels; the legend sits between the title and the plot, clear of
    the axis labels."""
    fig = go.Figure()
    fig.update_layout(title=dict(text=title, y=0.97), xaxis_title=x, yaxis_title=y,
                      height=height, template="plotly_white", margin=dict(l=60, r=20, t=75, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    if data.empty:
        fig.add_annotation(text=empty, showarrow=False, xref="paper", yref="paper", x=0.5,
                           y=0.5)
    return fig


def calls_per_day(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Calls per day", "day", "calls", df)
    for status, colour in STATUS_COLOURS.items():
        rows = df[df.status == status]
        if not rows.empty:
            fig.add_bar(x=rows.day, y=rows.calls, name=status, marker_color=colour)
    return fig.update_layout(barmode="stack")


def calls_per_hour(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Calls per hour of the day", "hour of the day", "calls per hour", df)
    fig.add_bar(x=df.hour, y=df.typical_day, name="a typical earlier day",
                marker_color="#c7c7c7")
    fig.add_scatter(x=df.hour, y=df.last_day, name="today (the period's last day)",
                    mode="lines+markers", line_color=STATUS_COLOURS["completed"])
    return fig.update_xaxes(dtick=2)


def handle_time(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Average handle time of completed calls", "day", "minutes per call", df)
    fig.add_scatter(x=df.day, y=df.avg_minutes, name="average", mode="lines+markers")
    fig.add_scatter(x=df.day, y=df.p90_minutes, name="90th percentile", mode="lines",
                    line_dash="dot")
    return fig


def sentiment_trend(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Customer sentiment across calls", "day", "share of calls (%)", df)
    total = (df.positive + df.neutral + df.negative).clip(lower=1)
    for label in ("negative", "neutral", "positive"):
        fig.add_bar(x=df.day, y=100 * df[label] / total, name=label, customdata=df[label],
                    marker_color=SENTIMENT_COLOURS[label],
                    hovertemplate="%{y:.0f}% (%{customdata} calls)")
    return fig.update_layout(barmode="stack")


def sentiment_timeline(df: pd.DataFrame, call_id: str = "") -> go.Figure:
    fig = _figure(f"Customer sentiment through call {call_id}".rstrip(),
                  "call time (s)", "customer sentiment (−1 … 1)", df,
                  empty="the customer has said nothing yet")
    fig.add_scatter(x=df.start_s, y=df.sentiment, mode="lines+markers", name="customer",
                    text=df.text, hovertemplate="%{x:.0f} s: %{y:.2f}<br>%{text}",
                    marker=dict(color=df.sentiment, colorscale="RdYlGn", cmin=-1, cmax=1))
    fig.add_hline(y=0, line_color="#9d9d9d", line_width=1)
    return fig.update_yaxes(range=[-1.05, 1.05])


def suggestion_outcomes(df: pd.DataFrame) -> go.Figure:
    labels = df.topic + " (" + df.kind + ")"
    fig = _figure("What agents did with suggestions", "suggestions shown", "topic (kind)", df,
                  height=max(300, 60 + 24 * len(df)))
    for outcome, colour in FEEDBACK_COLOURS.items():
        fig.add_bar(y=labels, x=df[outcome], name=outcome, orientation="h",
                    marker_color=colour, customdata=100 * df.acceptance,
                    hovertemplate="%{x} " + outcome + " (%{customdata:.0f}% used)")
    return fig.update_layout(barmode="stack").update_yaxes(autorange="reversed")


def top_topics(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Top suggestion topics", "calls", "topic", df,
                  height=max(300, 60 + 22 * len(df)))
    fig.add_bar(y=df.topic, x=df.calls, orientation="h", name="calls",
                customdata=df.suggestions, hovertemplate="%{x} calls, %{customdata} cards")
    return fig.update_yaxes(autorange="reversed")


def top_intents(df: pd.DataFrame) -> go.Figure:
    fig = _figure("What callers called about", "calls", "intent", df,
                  height=max(300, 60 + 22 * len(df)))
    fig.add_bar(y=df.intent, x=df.calls, orientation="h", name="calls", marker_color="#72b7b2")
    return fig.update_yaxes(autorange="reversed")


def alerts_raised(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Alerts raised", "topic", "alerts", df)
    fig.add_bar(x=df.topic, y=df.alerts, name="raised", marker_color="#e45756")
    fig.add_bar(x=df.topic, y=df.used, name="acted on (Use)", marker_color="#54a24b")
    return fig.update_layout(barmode="group")


def quick_actions(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Quick actions taken", "action", "times", df)
    fig.add_bar(x=[ACTION_LABELS.get(a, a) for a in df.action], y=df.times, name="times",
                customdata=df.calls, hovertemplate="%{y} times in %{customdata} calls")
    return fig


def tool_outcomes(df: pd.DataFrame) -> go.Figure:
    fig = _figure("Tool calls and what they found", "tool", "tool calls", df)
    for outcome in df.outcome.drop_duplicates():
        rows = df[df.outcome == outcome]
        fig.add_bar(x=rows.tool, y=rows.calls, name=outcome, customdata=rows.avg_ms,
                    hovertemplate="%{y} " + outcome + ", %{customdata:.1f} ms on average")
    return fig.update_layout(barmode="stack")


def latency_waterfall(df: pd.DataFrame) -> go.Figure:
    """Each step's median and 95th percentile as a waterfall; the last bar is the whole way
    measured end to end (percentiles of steps do not add up to the whole's)."""
    fig = _figure("Per-turn latency: speech end → suggestion on screen", "step", "seconds", df)
    measure = ["relative"] * (len(df) - 1) + ["absolute"]
    steps = df.step.str.replace(" → ", " →<br>")
    for stat, colour in (("p50", "#4c78a8"), ("p95", "#f58518")):
        values = df[f"{stat}_s"].fillna(0)
        fig.add_waterfall(x=steps, y=values, measure=measure[:len(df)], name=stat,
                          textposition="outside",
                          text=[f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s" for v in values],
                          customdata=df.turns, hovertemplate="%{x}: %{text} (%{customdata} turns)",
                          increasing_marker_color=colour, totals_marker_color=colour,
                          decreasing_marker_color=colour)
    return fig.update_layout(waterfallgroupgap=0.2)
