"""`callkit seed --history` and a small `callkit bench analytics` (the smoke test of the
100,000-call benchmark: same code, tiny size)."""

import json

import duckdb

from callkit.analytics.panels import PANELS
from callkit.cli import main


def test_seed_history_adds_a_past_to_the_demo_data(tmp_path, capsys):
    db = tmp_path / "c.duckdb"
    assert main(["seed", "--db", str(db), "--today", "2026-11-25", "--history", "--weeks", "1",
                 "--calls", "40"]) == 0
    out = capsys.readouterr().out
    assert "past calls" in out and "past transcripts" in out
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 40
        assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 600
    finally:
        con.close()


def test_bench_analytics_times_every_dashboard_query(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "analytics", "--calls", "300", "--lines", "9000", "--days", "14",
                 "--repeat", "1", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["calls"] == 300 and 8000 < summary["transcript_rows"] < 10000
    for panel in PANELS:
        assert summary[f"{panel.name}_query_s"] >= 0
    for key in ("history_search_query_s", "call_timeline_query_s", "dashboard_refresh_s",
                "dashboard_refresh_28d_s", "db_size_mb"):
        assert summary[key] > 0
    assert "slowest query" in capsys.readouterr().out
