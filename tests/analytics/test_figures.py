"""The dashboard's figures build from the known past with the traces, titles and axis labels
a reader needs, and still build (saying so) when a period has no calls."""

import datetime as dt

import pytest

from callkit.analytics import figures, panels, queries
from callkit.analytics.queries import Period
from tests.analytics.fixture import NOW, WEEK

EXPECTED = {  # panel: (trace type, trace names)
    "calls_per_day": ("bar", ["completed", "abandoned", "active"]),
    "calls_per_hour": (None, ["a typical earlier day", "today (the period's last day)"]),
    "handle_time": ("scatter", ["average", "90th percentile"]),
    "sentiment_trend": ("bar", ["negative", "neutral", "positive"]),
    "latency_waterfall": ("waterfall", ["p50", "p95"]),
    "suggestion_outcomes": ("bar", ["used", "dismissed", "ignored"]),
    "alerts_raised": ("bar", ["raised", "acted on (Use)"]),
    "top_topics": ("bar", ["calls"]),
    "top_intents": ("bar", ["calls"]),
    "quick_actions": ("bar", ["times"]),
    "tool_outcomes": ("bar", ["one match", "several matches", "found", "not found",
                              "no match"]),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_panel_draws_its_query(con, name):
    fig = panels.figure(con, name, WEEK)
    kind, names = EXPECTED[name]
    assert sorted(t.name for t in fig.data) == sorted(names)
    assert kind is None or {t.type for t in fig.data} == {kind}
    layout = fig.layout
    assert layout.title.text and layout.xaxis.title.text and layout.yaxis.title.text
    assert not layout.annotations  # no "no calls" note when there are calls


def test_units_are_in_the_axis_labels(con):
    assert panels.figure(con, "latency_waterfall", WEEK).layout.yaxis.title.text == "seconds"
    assert "minutes" in panels.figure(con, "handle_time", WEEK).layout.yaxis.title.text
    assert "%" in panels.figure(con, "sentiment_trend", WEEK).layout.yaxis.title.text


def test_the_waterfall_steps_add_up_and_the_whole_way_is_measured(con):
    fig = panels.figure(con, "latency_waterfall", WEEK)
    p50 = next(t for t in fig.data if t.name == "p50")
    assert [x.replace("<br>", " ") for x in p50.x] == [
        "speech end → final", "final → first token", "first token → shown", "speech end → shown"]
    assert list(p50.measure) == ["relative", "relative", "relative", "absolute"]
    assert list(p50.y) == pytest.approx([0.9, 0.006, 0.05, 1.06])


def test_one_calls_sentiment_line(con):
    fig = panels.call_sentiment(con, "c1")
    (trace,) = fig.data
    assert list(trace.x) == [4.0, 20.0, 40.0] and list(trace.y) == [-0.5, -0.7, 0.2]
    assert "c1" in fig.layout.title.text and fig.layout.yaxis.range == (-1.05, 1.05)


def test_an_empty_period_still_draws_and_says_so(con):
    empty = Period(dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))
    for panel in panels.PANELS:
        fig = panel.figure(panel.query(con, empty))
        assert fig.layout.title.text
        if panel.name not in ("calls_per_hour", "latency_waterfall"):  # these always have rows
            assert fig.layout.annotations[0].text == "no calls in this period yet"


def test_a_refresh_has_every_panel_the_live_calls_sentiment_and_the_headline(con):
    done = panels.refresh(con, WEEK)
    assert set(done.figures) == {p.name for p in panels.PANELS} | {"sentiment_timeline"}
    assert set(done.query_s) >= {p.name for p in panels.PANELS}
    assert done.kpis == {
        "calls": 4, "active": 1, "avg_handle_min": 3.5, "abandoned_share": 0.25,
        "negative_share": 0.25, "suggestions": 6, "acceptance": 0.333, "alerts": 2,
        "speech_end_to_shown_p50_s": 1.06, "speech_end_to_shown_p95_s": 1.06,
        "latest_call": "c4"}


def test_unknown_panel_names_the_known_ones(con):
    with pytest.raises(ValueError, match="calls_per_day"):
        panels.figure(con, "calls_per_week")


def test_figures_take_the_query_frames_as_they_are(con):
    df = queries.calls_per_day(con, Period.last_days(7, now=NOW))
    assert figures.calls_per_day(df).to_plotly_json()["data"]
