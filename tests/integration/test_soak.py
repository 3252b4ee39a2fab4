"""`callkit bench soak`, short: calls back to back on two lines leave nothing behind."""

import json

import pytest

from callkit.center import KEEP_ENDED
from tests.integration.test_cli_figures import callkit

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_soak_leaks_nothing(tmp_path):
    lines = 2
    out = callkit("bench", "soak", "--lines", str(lines), "--minutes", "0.25", "--speed", "4",
                  "--warmup-rounds", "1", "--json", str(tmp_path / "soak.json"))
    assert "after warm-up" in out and "rss_mb" in out
    summary = json.loads((tmp_path / "soak.json").read_text())["summary"]
    assert all(isinstance(v, (int, float)) for v in summary.values())
    assert summary["soak_calls"] >= lines and summary["soak_call_time_min"] >= lines * 0.25
    # Back to where they were after the warm-up, once every call has ended.
    leaks = {k: v for k, v in summary.items() if k.startswith("leaked_")}
    assert set(leaks) == {"leaked_tasks", "leaked_threads", "leaked_peers",
                          "leaked_open_files", "leaked_journals"}
    assert all(v == 0 for v in leaks.values()), leaks
    assert summary["ended_calls_held"] <= KEEP_ENDED + lines
    assert summary["rss_after_warmup_mb"] > 0 and summary["rss_end_mb"] > 0
