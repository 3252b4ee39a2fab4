"""`callkit eval` and `callkit bench` print tables and write DESIGN.md's JSON figures."""

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration


def callkit(*args, timeout=600):
    result = subprocess.run([sys.executable, "-m", "callkit.cli", *args], capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_eval_stt_writes_wer_and_latency(tmp_path):
    for name in ("librivox_0870", "librivox_0890"):
        for ext in (".wav", ".txt"):
            shutil.copy(SHARED_DATA / "speech" / f"{name}{ext}", tmp_path)
    out = callkit("eval", "stt", str(tmp_path), "--speed", "4", "--quiet", "--json",
                  str(tmp_path / "eval.json"))
    assert "librivox_0870.wav" in out and "wer" in out
    summary = json.loads((tmp_path / "eval.json").read_text())["summary"]
    assert 0 <= summary["wer"] < 0.1
    assert summary["speech_end_to_final_p50_s"] > 0 and summary["rtf"] > 0
    assert all(isinstance(v, (int, float)) for v in summary.values())
    # Side by side: each whole file decoded at once, and the telephone-channel copy.
    assert 0 <= summary["wer_whole_file"] < 0.1
    assert 0 <= summary["wer_phone"] < 0.3 and "wer_whole_file_phone" in summary
    assert "speech_end_to_final_p50_phone_s" in summary
    assert "phone" in out and "wer_whole_file" in out


def test_eval_stt_on_a_folder_without_references_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "callkit.cli", "eval", "stt", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no audio file with a same-named .txt" in result.stderr


def test_bench_designs_compares_the_stage_with_batching_and_redecoding(tmp_path):
    for ext in (".wav", ".txt"):
        shutil.copy(SHARED_DATA / "speech" / f"librivox_0880{ext}", tmp_path)
    out = callkit("bench", "designs", str(tmp_path), "--speed", "4", "--channel", "wide",
                  "--quiet", "--json", str(tmp_path / "designs.json"))
    assert "p50_vs_main" in out and "(a) fixed 4 s batches" in out
    data = json.loads((tmp_path / "designs.json").read_text())
    assert [r["design"] for r in data["rows"]] == ["batching", "whole_turn", "before", "main",
                                                   "short_window", "whole_file"]
    summary = data["summary"]
    for design in ("batching", "whole_turn", "before", "main", "short_window"):
        assert 0 <= summary[f"{design}_wer"] < 0.3
        assert summary[f"{design}_speech_end_to_final_p50_s"] > 0
        assert summary[f"{design}_rtf"] > 0
    assert "whole_file_wer" in summary
    assert next(r for r in data["rows"] if r["design"] == "main")["p50_vs_main"] == 1.0


def test_bench_designs_refuses_an_unknown_design(tmp_path):
    result = subprocess.run([sys.executable, "-m", "callkit.cli", "bench", "designs", "--only",
                             "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown design 'nope'" in result.stderr


def test_bench_stt_compares_concurrency_levels(tmp_path):
    out = callkit("bench", "stt", "--streams", "1,2", "--seconds", "20", "--json",
                  str(tmp_path / "b.json"))
    assert "streams" in out
    summary = json.loads((tmp_path / "b.json").read_text())["summary"]
    assert "speech_end_to_final_p50_s" in summary and "rtf" in summary
    assert "speech_end_to_final_2streams_p95_s" in summary and "rtf_2streams" in summary


def test_bench_batch_times_whisper_per_item_at_each_batch_size(tmp_path):
    out = callkit("bench", "batch", "--sizes", "1,2", "--repeat", "1", "--window", "10",
                  "--json", str(tmp_path / "b.json"))
    assert "total_speedup" in out
    data = json.loads((tmp_path / "b.json").read_text())
    rows, summary = data["sizes"], data["summary"]
    assert [r["batch"] for r in rows] == [1, 2] and rows[0]["total_speedup"] == 1.0
    assert all(r["encode_ms"] > 0 and r["decode_ms"] > 0 for r in rows)
    assert all(r["tokens"] > 5 for r in rows)  # words read from speech, not an empty answer
    assert "whisper_encode_ms" in summary and "whisper_total_speedup_2batch" in summary


def test_bench_assistant_measures_both_engines(tmp_path):
    out = callkit("bench", "assistant", "--rounds", "1", "--json", str(tmp_path / "a.json"))
    assert "rules" in out and "openai" in out
    summary = json.loads((tmp_path / "a.json").read_text())["summary"]
    assert summary["final_to_first_token_p50_s"] > 0  # a figure, not a timing assertion
    assert "openai_final_to_first_token_p95_s" in summary


def test_bench_audio_measures_first_frame_and_jitter(tmp_path):
    out = callkit("bench", "audio", "--legs", "1,2", "--seconds", "3", "--json",
                  str(tmp_path / "a.json"))
    assert "offer_to_first_frame_p50_s" in out
    summary = json.loads((tmp_path / "a.json").read_text())["summary"]
    assert 0 < summary["offer_to_first_frame_p50_s"] < 2
    assert summary["frames_received_ratio_2legs"] > 0.9
    assert "frame_jitter_2legs_p95_ms" in summary
    assert 0 < summary["mouth_to_ear_matched_pct"] <= 100  # one call: its windows are heard


def test_bench_call_measures_speech_end_to_first_token_through_every_part(tmp_path):
    out = callkit("bench", "call", "--calls", "sarah_order", "--json", str(tmp_path / "c.json"))
    assert "sarah_order" in out and "speech_end_to_first_token_p50_s" in out
    summary = json.loads((tmp_path / "c.json").read_text())["summary"]
    assert 0 < summary["final_to_first_token_p50_s"] < summary["speech_end_to_first_token_p50_s"]
    assert summary["speech_end_to_final_p50_s"] > 0.5  # a turn ends after 0.6 s of silence


def test_bench_call_with_an_unknown_call_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "callkit.cli", "bench", "call", "--calls",
                             "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown recorded call 'nope'" in result.stderr


def test_bench_concurrency_measures_each_level_and_the_capacity(tmp_path):
    out = callkit("bench", "concurrency", "--calls", "1,2", "--seconds", "8", "--json",
                  str(tmp_path / "c.json"))
    assert "max_concurrent_calls" in out and "audio_lost_pct" in out
    data = json.loads((tmp_path / "c.json").read_text())
    summary, levels = data["summary"], data["levels"]
    assert [row["calls"] for row in levels] == [1, 2]
    assert all(row["finals"] > 0 and row["peak_rss_mb"] > 0 for row in levels)
    assert all(0 < row["whisper_finals_pct"] <= row["whisper_busy_pct"] for row in levels)
    assert all(row["cpu_native_pct"] > 0 and row["cpu_event_loop_pct"] > 0 for row in levels)
    # The first recording played alone is the reference the others are compared with.
    assert levels[0]["transcript_change_vs_alone_pct"] == 0.0
    assert 0 <= levels[1]["transcript_change_vs_alone_pct"] <= 100
    assert summary["rss_one_call_mb"] > 0 and "rss_per_extra_call_mb" in summary
    assert "speech_end_to_final_2calls_p95_s" in summary
    assert summary["max_concurrent_calls"] in (0, 1, 2)


def test_bench_concurrency_refuses_bad_levels():
    result = subprocess.run([sys.executable, "-m", "callkit.cli", "bench", "concurrency",
                             "--calls", "0,x"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--calls takes positive whole numbers" in result.stderr


def test_bench_all_runs_each_benchmark_and_merges_their_figures(tmp_path):
    # Two quick ones: every benchmark has its own smoke test above.
    out = callkit("bench", "all", "--quick", "--only", "audio,assistant", "--json",
                  str(tmp_path / "all.json"))
    assert "[1/2] callkit bench audio" in out and "[2/2] callkit bench assistant" in out
    data = json.loads((tmp_path / "all.json").read_text())
    assert set(data["benches"]) == {"audio", "assistant"} and data["failed"] == []
    assert "offer_to_first_frame_p50_s" in data["summary"]
    assert "final_to_first_token_p50_s" in data["summary"]
    assert "DESIGN.md's figures" in out


def test_bench_all_refuses_an_unknown_benchmark():
    result = subprocess.run([sys.executable, "-m", "callkit.cli", "bench", "all", "--only",
                             "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown benchmark 'nope'" in result.stderr
