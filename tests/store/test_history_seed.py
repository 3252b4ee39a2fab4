"""`callkit seed --history`: a deterministic, realistic past that real calls add to."""

import datetime as dt

import pytest

from callkit.store.db import connect
from callkit.store.history_seed import HistorySize, seed_history
from callkit.store.seed import seed

DAY = dt.date(2026, 11, 25)
SMALL = HistorySize(calls=120, days=14, lines_per_call=20)
TABLES = ("calls", "transcripts", "ai_suggestions", "tool_calls", "agent_actions",
          "flagged_moments", "call_summaries", "turn_latency")


@pytest.fixture
def con():
    con = connect(":memory:")
    seed(con, today=DAY)
    yield con
    con.close()


SEQUENCED = {"transcripts", "tool_calls", "agent_actions", "flagged_moments"}


def fingerprint(con) -> dict[str, str]:
    """Every seeded table's rows as one hash each (numbers a sequence gave them aside)."""
    return {table: con.execute(
        f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM "
        f"(SELECT * {'EXCLUDE (id)' if table in SEQUENCED else ''} FROM {table}) t"
    ).fetchone()[0] for table in TABLES}


def test_the_same_seed_and_day_give_the_same_past(con):
    seed_history(con, size=SMALL, today=DAY)
    first = fingerprint(con)
    seed_history(con, size=SMALL, today=DAY)  # replaces, does not add
    assert fingerprint(con) == first
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == SMALL.calls
    seed_history(con, size=SMALL, seed=8, today=DAY)
    assert fingerprint(con) != first


def test_the_past_is_the_days_before_today_in_working_hours(con):
    seed_history(con, size=SMALL, today=DAY)
    first, last, hours = con.execute(
        "SELECT min(start_time), max(start_time), list(DISTINCT hour(start_time)) "
        "FROM calls").fetchone()
    assert first >= dt.datetime(2026, 11, 11) and last < dt.datetime(2026, 11, 25)
    assert set(hours) <= set(range(8, 20))


def test_every_call_is_whole(con):
    counts = seed_history(con, size=SMALL, today=DAY)
    assert counts["calls"] == SMALL.calls
    assert 15 * SMALL.calls < counts["transcripts"] < 25 * SMALL.calls
    assert counts["turn_latency"] == counts["transcripts"]  # a latency row per turn
    orphans = {table: con.execute(f"SELECT count(*) FROM {table} WHERE call_id NOT IN "
                                  "(SELECT call_id FROM calls)").fetchone()[0]
               for table in TABLES}
    assert set(orphans.values()) == {0}
    # Each call: lines in time order, turns numbered per leg, a summary, a duration that
    # covers its lines, sentiment only on the customer's lines.
    assert con.execute("""
        SELECT count(*) FROM calls c
        WHERE (SELECT max(end_s) FROM transcripts t WHERE t.call_id = c.call_id)
              > c.duration_seconds
           OR NOT EXISTS (SELECT 1 FROM call_summaries s WHERE s.call_id = c.call_id)
    """).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM (SELECT call_id, speaker, turn FROM transcripts "
                       "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM transcripts WHERE speaker = 'agent' "
                       "AND sentiment IS NOT NULL").fetchone()[0] == 0


def test_it_reads_like_real_calls(con):
    seed_history(con, size=SMALL, today=DAY)
    statuses = dict(con.execute("SELECT status, count(*) FROM calls GROUP BY ALL").fetchall())
    assert statuses["completed"] > 0.85 * SMALL.calls
    feedback = dict(con.execute("SELECT coalesce(feedback, 'ignored'), count(*) "
                                "FROM ai_suggestions GROUP BY ALL").fetchall())
    assert set(feedback) == {"used", "dismissed", "ignored"}
    # Placeholders are all filled with a seeded customer's name, account and order.
    assert con.execute("SELECT count(*) FROM transcripts WHERE text LIKE '%{%'").fetchone()[0] == 0
    name, account, text = con.execute(
        "SELECT cu.name, cu.account_number, s.text FROM calls c JOIN customers cu "
        "ON cu.id = c.customer_id JOIN call_summaries s USING (call_id) LIMIT 1").fetchone()
    assert text.startswith(f"{name} (account #{account})")
    # Only turns the assistant answered have suggestion marks, and they come after the final.
    assert con.execute("SELECT count(*) FROM turn_latency WHERE first_token < final "
                       "OR shown < first_token OR final < speech_end").fetchone()[0] == 0
    assert 0 < con.execute("SELECT count(*) FROM turn_latency "
                           "WHERE first_token IS NOT NULL").fetchone()[0] < SMALL.calls * 5
    labels = con.execute("""
        SELECT count(*) FROM calls c JOIN (SELECT call_id, avg(sentiment) AS s FROM transcripts
                                           WHERE speaker = 'customer' GROUP BY call_id) m
        USING (call_id)
        WHERE c.sentiment != CASE WHEN m.s >= 0.2 THEN 'positive' WHEN m.s <= -0.2
                                  THEN 'negative' ELSE 'neutral' END""").fetchone()[0]
    assert labels == 0


def test_real_calls_are_kept_when_the_past_is_seeded_again(con):
    seed_history(con, size=SMALL, today=DAY)
    con.execute("INSERT INTO calls (call_id, start_time, status) VALUES ('real1', now(), "
                "'completed')")
    con.execute("INSERT INTO transcripts (call_id, speaker, text, timestamp, start_s, end_s) "
                "VALUES ('real1', 'customer', 'hello', now(), 0, 1)")
    seed_history(con, size=SMALL, today=DAY)
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == SMALL.calls + 1
    assert con.execute("SELECT count(*) FROM transcripts WHERE call_id = 'real1'"
                       ).fetchone()[0] == 1


def test_size_by_lines_and_the_need_for_customers():
    size = HistorySize.of(calls=1000, lines=50_000, days=30)
    assert 50 < size.lines_per_call < 52
    with pytest.raises(ValueError, match="seed the demo data first"):
        seed_history(connect(":memory:"), size=SMALL, today=DAY)
