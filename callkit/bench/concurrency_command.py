"""``callkit bench concurrency``: its options and its output (a table, and JSON with --json).

Registered from bench_commands.py with one call, beside the other ``bench`` commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings

TABLE = ["calls", "legs", "wall_s", "finals", "speech_end_to_final_p50_s",
         "speech_end_to_final_p95_s", "speech_start_to_first_partial_p50_s",
         "final_to_first_token_p50_s", "audio_lost_pct", "cpu_pct", "whisper_busy_pct",
         "whisper_finals_pct", "cpu_native_pct", "cpu_event_loop_pct", "cpu_thread_pools_pct",
         "transcript_change_vs_alone_pct", "peak_rss_mb"]


def add_concurrency_command(bench: argparse._SubParsersAction) -> None:
    conc = bench.add_parser("concurrency", help="1, 2, 4, 8, 12 recorded calls at once: "
                                                "latency, lost audio, CPU, memory")
    conc.add_argument("dir", nargs="?", help="<name>_caller.wav + <name>_agent.wav pairs "
                      "(default ../shared/data/calls)")
    conc.add_argument("--calls", default="1,2,4,8,12",
                      help="calls at once, one level after another (default 1,2,4,8,12)")
    conc.add_argument("--seconds", type=float, default=60.0,
                      help="call time each call plays, at real time (default 60)")
    conc.add_argument("--json", help="also write the figures to this JSON file")
    conc.set_defaults(func=cmd_bench_concurrency)


def cmd_bench_concurrency(args: argparse.Namespace) -> int:
    from .cli_options import default_calls_dir
    from .concurrency_bench import run_bench, summary_of
    from .report import levels_of, print_table, write_json

    levels = levels_of(args.calls, "--calls")
    if args.seconds <= 0:
        raise ValueError("--seconds must be positive")
    settings = Settings.from_env()
    folder = Path(args.dir) if args.dir else default_calls_dir()
    print(f"bench concurrency · {args.seconds:g} s of each call at real time · aiortc, "
          f"whisper {settings.stt_model}, rules, DuckDB · {folder}", flush=True)
    rows = run_bench(folder, settings, levels, args.seconds)
    print_table(rows, TABLE)
    summary = summary_of(rows)
    print()
    print_table([{"figure": k, "value": summary[k]} for k in
                 ("max_concurrent_calls", "rss_one_call_mb", "rss_per_extra_call_mb")
                 if k in summary], ["figure", "value"])
    if args.json:
        write_json(args.json, summary, levels=rows,
                   settings={"model": settings.stt_model, "seconds": args.seconds,
                             "window_s": settings.stt_window_s})
        print(f"\nwrote {args.json}")
    return 0
