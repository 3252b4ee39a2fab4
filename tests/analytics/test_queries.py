"""Every dashboard query on the known past of fixture.py returns what was worked out by hand."""

import datetime as dt

import pandas as pd
import pytest

from callkit.analytics import queries
from callkit.analytics.queries import Period
from tests.analytics.fixture import WEEK, T

D23, D24, D25 = (pd.Timestamp(2026, 11, day) for day in (23, 24, 25))  # days, as pandas has them


def rows(df) -> list[tuple]:
    return [tuple(r) for r in df.itertuples(index=False)]


def test_a_period_is_today_and_whole_days_before_it():
    assert WEEK == Period(dt.datetime(2026, 11, 18), dt.datetime(2026, 11, 26))


def test_call_totals(con):
    totals = queries.call_totals(con, WEEK).iloc[0]
    assert (totals.calls, totals.active) == (4, 1)
    assert totals.avg_handle_s == pytest.approx(210.0)  # completed calls only: 300 s and 120 s
    assert totals.abandoned_share == pytest.approx(0.25)
    assert totals.negative_share == pytest.approx(0.25)


def test_calls_per_day_by_status(con):
    assert rows(queries.calls_per_day(con, WEEK)) == [
        (D23, "abandoned", 1), (D24, "completed", 2), (D25, "active", 1)]


def test_calls_per_hour_compares_today_with_a_typical_earlier_day(con):
    hours = queries.calls_per_hour(con, WEEK).set_index("hour")
    assert len(hours) == 24
    assert hours.last_day[9] == 1 and hours.last_day.sum() == 1  # today: the live call
    assert hours.typical_day[10] == pytest.approx(2 / 7)  # the 7 earlier days of the week
    assert hours.typical_day[15] == pytest.approx(1 / 7)
    assert hours.typical_day[9] == 0


def test_handle_time_counts_completed_calls(con):
    ((day, calls, avg, p90),) = rows(queries.handle_time(con, WEEK))
    assert (day, calls) == (D24, 2)
    assert avg == pytest.approx(3.5) and p90 == pytest.approx((120 + 0.9 * 180) / 60)


def test_sentiment_trend_counts_labels_per_day(con):
    assert rows(queries.sentiment_trend(con, WEEK)) == [
        (D23, 0, 1, 0), (D24, 1, 0, 1), (D25, 0, 0, 0)]


def test_sentiment_timeline_is_the_customers_lines_in_order(con):
    timeline = queries.sentiment_timeline(con, "c1")
    assert list(timeline.start_s) == [4.0, 20.0, 40.0]
    assert list(timeline.sentiment) == [-0.5, -0.7, 0.2]
    assert queries.sentiment_timeline(con, "nope").empty


def test_latest_call_prefers_a_live_one(con):
    assert queries.latest_call(con, WEEK) == "c4"
    assert queries.latest_call(con, Period(T(2026, 11, 24), T(2026, 11, 25))) == "c2"
    assert queries.latest_call(con, Period(T(2020, 1, 1), T(2020, 1, 2))) is None


def test_suggestion_outcomes_by_kind_and_topic(con):
    got = {(r.kind, r.topic): (r.shown, r.used, r.dismissed, r.ignored, r.acceptance)
           for r in queries.suggestion_outcomes(con, WEEK).itertuples()}
    assert got == {("info", "identified"): (1, 0, 0, 1, 0.0),
                   ("alert", "frustration"): (1, 1, 0, 0, 1.0),
                   ("suggestion", "order_status"): (1, 0, 1, 0, 0.0),
                   ("suggestion", "billing"): (1, 1, 0, 0, 1.0),
                   ("suggestion", "upsell"): (1, 0, 0, 1, 0.0),
                   ("alert", "churn"): (1, 0, 0, 1, 0.0)}


def test_top_topics_and_intents(con):
    topics = rows(queries.top_topics(con, WEEK))
    assert len(topics) == 6 and all(calls == 1 for _, _, calls in topics)
    assert rows(queries.top_intents(con, WEEK)) == [
        ("billing", 1), ("frustration", 1), ("order", 1), ("shipping", 1)]


def test_alerts_raised(con):
    assert rows(queries.alerts_raised(con, WEEK)) == [("churn", 1, 1, 0),
                                                      ("frustration", 1, 1, 1)]


def test_quick_actions_leave_out_suggestion_feedback_and_quick_responses(con):
    assert rows(queries.quick_actions(con, WEEK)) == [("discount_10", 1, 1), ("waive_fee", 1, 1)]


def test_tool_outcomes_say_what_each_call_found(con):
    got = {(r.tool, r.outcome): (r.calls, round(r.avg_ms, 3))
           for r in queries.tool_outcomes(con, WEEK).itertuples()}
    assert got == {("lookup_customer", "one match"): (1, 2.0),
                   ("lookup_customer", "several matches"): (1, 3.0),
                   ("get_order_status", "found"): (1, 4.0),
                   ("get_order_status", "not found"): (1, 1.0),
                   ("search_knowledge", "no match"): (1, 6.0)}


def test_latency_waterfall_of_the_answered_turns(con):
    steps = queries.latency_waterfall(con, WEEK).set_index("step")
    assert list(steps.index) == ["speech end → final", "final → first token",
                                 "first token → shown", "speech end → shown"]
    # Two turns were answered (c1 turn 1, c2 turn 1); only c1's card was painted.
    assert steps.p50_s.tolist() == pytest.approx([0.9, 0.006, 0.05, 1.06], abs=1e-6)
    assert steps.p95_s.iloc[0] == pytest.approx(0.8 + 0.95 * 0.2, abs=1e-6)
    assert steps.turns.tolist() == [2, 2, 1, 1]


def test_a_period_with_nothing_gives_empty_frames(con):
    empty = Period(dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))
    assert queries.calls_per_day(con, empty).empty
    assert queries.call_totals(con, empty).iloc[0].calls == 0
    assert queries.latency_waterfall(con, empty).turns.tolist() == [0, 0, 0, 0]


def test_data_version_moves_when_something_is_recorded(con):
    before = queries.data_version(con)
    con.execute("INSERT INTO agent_actions (call_id, action, timestamp) "
                "VALUES ('c4', 'escalate', now())")
    assert queries.data_version(con) != before
