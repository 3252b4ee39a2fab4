"""Finding past calls (filters and full-text search, old and new lines) and reading one back."""

import datetime as dt

import pytest

from callkit.analytics.history import call_timeline, filter_choices, find_calls
from callkit.store import transcript_search
from callkit.store.transcript_search import build_transcript_index, matching_calls


def ids(df) -> list[str]:
    return list(df.call_id)


def test_every_call_newest_first(con):
    assert ids(find_calls(con)) == ["c4", "c2", "c1", "c3"]
    assert ids(find_calls(con, limit=2)) == ["c4", "c2"]


@pytest.mark.parametrize("filters, expected", [
    ({"customer": "sarah"}, ["c1"]),
    ({"customer": "12345"}, ["c4", "c2"]),          # John Doe's account number
    ({"customer": "(415) 555-0142"}, ["c1"]),       # the caller ID
    ({"sentiment": "positive"}, ["c2"]),
    ({"status": "abandoned"}, ["c3"]),
    ({"agent": "ana"}, ["c1", "c3"]),
    ({"topic": "billing"}, ["c2"]),                 # what the caller raised (summary)
    ({"topic": "churn"}, ["c3"]),                   # a suggestion's topic
    ({"since": dt.date(2026, 11, 24), "until": dt.date(2026, 11, 24)}, ["c2", "c1"]),
    ({"agent": "ana", "status": "completed"}, ["c1"]),
    ({"customer": "nobody"}, []),
])
def test_filters(con, filters, expected):
    assert ids(find_calls(con, **filters)) == expected


def test_search_finds_calls_by_stemmed_words_and_numbers_with_the_line_that_matched(con):
    found = find_calls(con, text="frustrated packages")  # stems: frustrat, packag
    assert ids(found) == ["c1"]
    assert found.line.iloc[0] == "I think the package is lost, this is so frustrating."
    assert found.line_at_s.iloc[0] == 20.0 and found.line_speaker.iloc[0] == "customer"
    assert found.score.iloc[0] > 0
    assert ids(find_calls(con, text="78901")) == ["c1"]
    assert ids(find_calls(con, text="account", status="abandoned")) == ["c3"]
    assert ids(find_calls(con, text="zebra")) == []


def test_lines_recorded_after_the_index_are_found_first_then_indexed(con, monkeypatch):
    build_transcript_index(con)
    con.execute("INSERT INTO calls (call_id, start_time, status) VALUES ('c5', now(), 'active')")
    con.execute("INSERT INTO transcripts (call_id, speaker, turn, text, timestamp, start_s, "
                "end_s) VALUES ('c5', 'customer', 1, 'My package is lost too', now(), 0, 2)")
    assert matching_calls(con, "package lost")[:2] == [("c5", None), ("c1", pytest.approx(
        matching_calls(con, "package lost")[1][1]))]
    monkeypatch.setattr(transcript_search, "STALE_LINES", 0)  # one new line is too many now
    hits = matching_calls(con, "package lost")
    assert {call for call, _ in hits} == {"c1", "c5"} and all(score for _, score in hits)


def test_the_index_keeps_no_second_copy_of_the_words(con):
    build_transcript_index(con)
    assert con.execute("SELECT count(*) FROM call_words").fetchone()[0] == 0


def test_a_timeline_holds_everything_in_call_time(con):
    t = call_timeline(con, "c1")
    assert t["call"]["title"] == "Sarah Johnson: order 78901 is late"
    assert t["call"]["status"] == "completed" and t["call"]["duration_seconds"] == 300.0
    assert t["customer"]["name"] == "Sarah Johnson"
    assert [line["at_s"] for line in t["transcript"]] == [0.0, 4.0, 20.0, 30.0, 40.0, 45.0]
    assert [(s["id"], s["at_s"], s["feedback"]) for s in t["suggestions"]] == [
        ("s1", 5.0, None), ("s3", 6.0, "dismissed"), ("s2", 21.0, "used")]
    assert [(c["name"], c["at_s"], c["result"]) for c in t["tool_calls"]][1] == (
        "get_order_status", 5.0, {"order": {"status": "shipped"}})
    # Use / Dismiss is on the cards, not repeated as an action.
    assert [a["action"] for a in t["actions"]] == ["discount_10", "template"]
    assert t["flags"] == [{"at_s": 20.0, "note": "package lost"}]
    assert t["summary"]["topics"] == ["order", "shipping", "frustration"]
    assert t["summary"]["action_items"] == ["Call the customer back"]


def test_an_anonymous_call_without_summary_and_an_unknown_one(con):
    t = call_timeline(con, "c3")
    assert t["customer"] is None and t["summary"] is None
    with pytest.raises(LookupError):
        call_timeline(con, "nope")


def test_filter_choices_come_from_the_stored_calls(con):
    choices = filter_choices(con)
    assert choices["agents"] == ["Ana Lima", "Ben Ortiz"]
    assert choices["statuses"] == ["abandoned", "active", "completed"]
    assert choices["sentiments"] == ["negative", "neutral", "positive"]
    assert {"billing", "churn", "frustration"} <= set(choices["topics"])
