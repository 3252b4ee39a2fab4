"""``callkit bench soak``: its options and its output (a table, and JSON with --json).

Registered from bench_commands.py with one call, beside the other ``bench`` commands."""

from __future__ import annotations

import argparse

from ..config import Settings

TABLE = ["phase", "calls", "call_time_min", "rss_mb", "tasks", "threads", "peers",
         "open_files", "journals", "calls_held", "python_objects", "duckdb_mb",
         "anonymous_mb", "malloc_in_use_mb", "malloc_free_mb", "main_heap_mb",
         "thread_arenas_mb", "other_anonymous_mb"]


def add_soak_command(bench: argparse._SubParsersAction) -> None:
    soak = bench.add_parser("soak", help="many recorded calls at once for a long while: "
                                         "memory and leaks")
    soak.add_argument("--lines", type=int, default=8, help="calls at once (default 8)")
    soak.add_argument("--minutes", type=float, default=30.0,
                      help="call time each line plays, back to back (default 30)")
    soak.add_argument("--speed", type=float, default=1.0,
                      help="replay speed, times real time (default 1: 8 calls at once take "
                           "a 2-core machine's whole CPU; faster falls behind)")
    soak.add_argument("--warmup-rounds", type=int,
                      help="rounds of one call per line before measuring (default 12, "
                           "where memory stops rising, and enough to fill the center's "
                           "store of ended calls)")
    soak.add_argument("--json", help="also write the figures to this JSON file")
    soak.add_argument("--quiet", action="store_true", help="no progress bars")
    soak.set_defaults(func=cmd_bench_soak)


def cmd_bench_soak(args: argparse.Namespace) -> int:
    from .report import print_table, write_json
    from .soak_bench import run_soak

    if args.lines < 1 or args.minutes <= 0 or args.speed <= 0 or (
            args.warmup_rounds is not None and args.warmup_rounds < 1):
        raise ValueError("--lines, --minutes, --speed and --warmup-rounds must be positive")
    settings = Settings.from_env()
    print(f"bench soak · {args.lines} calls at once · {args.minutes:g} min of call time each "
          f"at {args.speed:g}x · aiortc, whisper {settings.stt_model}, rules, DuckDB",
          flush=True)
    result = run_soak(settings, lines=args.lines, minutes=args.minutes, speed=args.speed,
                      warmup_rounds=args.warmup_rounds, progress=not args.quiet)
    print_table(result["rows"], TABLE)
    summary = result["summary"]
    print()
    print_table([{"figure": k, "value": v} for k, v in summary.items()], ["figure", "value"])
    if args.json:
        write_json(args.json, summary, phases=result["rows"],
                   threads_left=result["threads_left"],
                   memory_by_call_time_min=result["memory_by_call_time_min"])
        print(f"\nwrote {args.json}")
    return 0
