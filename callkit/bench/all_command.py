"""``callkit bench all``: every benchmark, one after another, and DESIGN.md's figures in one
summary.

Each benchmark runs as its own ``callkit`` process, so one's memory or failure does not leak
into the next, and writes its own JSON; this command shows progress, keeps going past a
failed benchmark (and says so), and merges the summaries: ``summary`` holds each figure once,
taken from the first benchmark in ``STEPS`` that measures it (the most complete measurement
first: the whole pipeline before a single stage), and ``benches`` holds every benchmark's own
summary. ``--quick`` runs each on a short input, for a smoke test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (name, full arguments, --quick arguments); "--json PATH" is added to each.
STEPS: tuple[tuple[str, list[str], list[str]], ...] = (
    ("concurrency", ["bench", "concurrency", "--calls", "1,2,4,8,12", "--seconds", "60"],
     ["bench", "concurrency", "--calls", "1,2", "--seconds", "6"]),
    ("call", ["bench", "call"], ["bench", "call", "--calls", "sarah_order"]),
    ("stt", ["bench", "stt", "--streams", "1,8", "--seconds", "60"],
     ["bench", "stt", "--streams", "1,2", "--seconds", "10"]),
    ("eval_stt", ["eval", "stt", "--quiet"], ["eval", "stt", "--quiet", "--speed", "4"]),
    ("designs", ["bench", "designs", "--quiet"],
     ["bench", "designs", "--quiet", "--speed", "4", "--channel", "wide", "--only",
      "batching"]),
    ("batch", ["bench", "batch"], ["bench", "batch", "--sizes", "1,2", "--repeat", "1"]),
    ("audio", ["bench", "audio", "--legs", "1,8", "--seconds", "10"],
     ["bench", "audio", "--legs", "1,2", "--seconds", "2"]),
    ("assistant", ["bench", "assistant", "--rounds", "3"],
     ["bench", "assistant", "--rounds", "1"]),
    ("analytics", ["bench", "analytics"],
     ["bench", "analytics", "--calls", "200", "--lines", "4000", "--repeat", "1"]),
    # 5 rounds fill the center's store of ended calls, so growth is measured past it (with
    # one round, memory grows by design and reads as a leak); the default 12 rounds, where
    # an 8-line soak's memory stops rising, would add 6 minutes here.
    ("soak", ["bench", "soak", "--lines", "4", "--minutes", "4", "--warmup-rounds", "5"],
     ["bench", "soak", "--lines", "2", "--minutes", "0.5", "--speed", "4",
      "--warmup-rounds", "1"]),
)


def add_all_command(bench: argparse._SubParsersAction) -> None:
    every = bench.add_parser("all", help="every benchmark, and DESIGN.md's figures in one "
                                         "summary")
    every.add_argument("--json", help="write the merged figures to this JSON file")
    every.add_argument("--quick", action="store_true",
                       help="each benchmark on a short input (a smoke test, not figures)")
    every.add_argument("--only", help="benchmarks to run, comma-separated (default: all of "
                       + ", ".join(name for name, _, _ in STEPS) + ")")
    every.set_defaults(func=cmd_bench_all)


def cmd_bench_all(args: argparse.Namespace) -> int:
    from .report import print_table, write_json

    names = [name for name, _, _ in STEPS]
    chosen = names if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in names]
    if unknown or not chosen:
        raise ValueError(f"unknown benchmark {unknown[0] if unknown else ''!r} "
                         f"(known: {', '.join(names)})")
    steps = [step for step in STEPS if step[0] in chosen]
    summary: dict[str, float] = {}
    benches: dict[str, dict] = {}
    rows, failed = [], []
    with tempfile.TemporaryDirectory(prefix="callkit-bench-all-") as tmp:
        for i, (name, full, quick) in enumerate(steps, 1):
            command = [*(quick if args.quick else full), "--json", str(Path(tmp) / name)]
            print(f"[{i}/{len(steps)}] callkit {' '.join(command[:-2])}", flush=True)
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "callkit.cli", *command],
                                  capture_output=True, text=True)
            took = round(time.monotonic() - started, 1)
            if done.returncode != 0:
                failed.append(name)
                reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
                print(f"    failed after {took} s: {reason}", flush=True)
                rows.append({"benchmark": name, "seconds": took, "result": "failed"})
                continue
            figures = json.loads((Path(tmp) / name).read_text())["summary"]
            benches[name] = figures
            for key, value in figures.items():
                summary.setdefault(key, value)
            rows.append({"benchmark": name, "seconds": took, "result": f"{len(figures)} figures"})
            print(f"    done in {took} s", flush=True)
    print()
    print_table(rows, ["benchmark", "seconds", "result"])
    print()
    print_table([{"figure": k, "value": v} for k, v in summary.items() if k in DESIGN_FIGURES],
                ["figure", "value"], title="DESIGN.md's figures")
    if args.json:
        write_json(args.json, summary, benches=benches, failed=failed, quick=args.quick)
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


DESIGN_FIGURES = (
    "wer", "wer_phone", "speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
    "speech_start_to_first_partial_p50_s", "final_to_first_token_p50_s",
    "final_to_first_token_p95_s", "speech_end_to_first_token_p50_s",
    "speech_end_to_first_token_p95_s", "offer_to_first_frame_p50_s", "rtf",
    "max_concurrent_calls", "rss_one_call_mb", "rss_per_extra_call_mb")
