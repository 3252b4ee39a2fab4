"""``callkit bench``: speed and memory, each benchmark a subcommand.

Registered from callkit/cli.py with one call; the larger benchmarks register themselves from
their own ``*_command`` modules."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from ..config import Settings
from .all_command import add_all_command
from .cli_options import add_stt_options, default_calls_dir, default_speech_dir, stt_settings
from .concurrency_command import add_concurrency_command
from .designs_command import add_designs_command
from .report import levels_of
from .soak_command import add_soak_command


def add_bench_commands(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure speed and memory").add_subparsers(
        dest="what", required=True)
    bstt = bench.add_parser("stt", help="STT latency and real-time factor, 1 and N streams")
    bstt.add_argument("dir", nargs="?", help="folder of .wav legs (default ../shared/data/calls)")
    bstt.add_argument("--streams", default="1,8", help="concurrency levels (default 1,8)")
    bstt.add_argument("--seconds", type=float, default=60.0, help="audio per stream")
    add_stt_options(bstt)
    bstt.set_defaults(func=cmd_bench_stt)
    baud = bench.add_parser("audio", help="WebRTC offer -> first frame and frame jitter")
    baud.add_argument("--legs", default="1,8", help="concurrent legs (default 1,8)")
    baud.add_argument("--seconds", type=float, default=10.0, help="audio per leg")
    baud.add_argument("--audio", help="audio file to send (default: a recorded support call)")
    baud.add_argument("--json", help="also write the figures to this JSON file")
    baud.set_defaults(func=cmd_bench_audio)
    bcall = bench.add_parser("call", help="speech end -> first suggestion token, whole pipeline")
    bcall.add_argument("--calls", help="recorded calls, comma-separated (default: all)")
    bcall.add_argument("--json", help="also write the figures to this JSON file")
    bcall.set_defaults(func=cmd_bench_call)
    bas = bench.add_parser("assistant", help="final transcript → first suggestion token")
    bas.add_argument("--rounds", type=int, default=5, help="passes over the recorded scripts")
    bas.add_argument("--engine", default="rules,openai",
                     help="engines, comma-separated: rules, openai (a scripted stub), local "
                          "(the in-process model) (default rules,openai)")
    bas.add_argument("--json", help="also write the figures to this JSON file")
    bas.set_defaults(func=cmd_bench_assistant)

    ban = bench.add_parser("analytics", help="dashboard and call-history queries on a big past")
    ban.add_argument("--calls", type=int, default=100_000, help="past calls (default 100,000)")
    ban.add_argument("--lines", type=int, default=5_000_000,
                     help="transcript lines in all (default 5,000,000)")
    ban.add_argument("--days", type=int, default=182, help="days they span (default 182)")
    ban.add_argument("--repeat", type=int, default=5, help="runs per query (median)")
    ban.add_argument("--db", help="build the database here and keep it (default: a "
                     "temporary file)")
    ban.add_argument("--json", help="also write the figures to this JSON file")
    ban.set_defaults(func=cmd_bench_analytics)
    bbat = bench.add_parser("batch", help="whisper alone: several turns per batch against "
                                          "one at a time")
    bbat.add_argument("dir", nargs="?", help="speech files to cut windows from (default "
                      "../shared/data/speech)")
    bbat.add_argument("--sizes", default="1,2,4,8", help="batch sizes (default 1,2,4,8)")
    bbat.add_argument("--window", type=float, default=30.0,
                      help="seconds of encoder window (30: a final; the partials' is 10)")
    bbat.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    add_stt_options(bbat)
    bbat.set_defaults(func=cmd_bench_batch)
    add_soak_command(bench)
    add_concurrency_command(bench)
    add_designs_command(bench)
    add_all_command(bench)


def cmd_bench_stt(args: argparse.Namespace) -> int:
    from .report import print_table, write_json
    from .stt_bench import run_bench, summary_of

    settings = stt_settings(args)
    folder = Path(args.dir) if args.dir else default_calls_dir()
    levels = levels_of(args.streams, "--streams")
    print(f"bench stt · model {settings.stt_model} · {args.seconds:g} s of audio per stream "
          f"at real time · {folder}", flush=True)
    rows = run_bench(folder, settings, levels, args.seconds)
    print_table(rows, ["streams", "audio_s", "wall_s", "finals", "partials_per_final",
                       "speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
                       "speech_start_to_first_partial_p50_s", "rtf"])
    if args.json:
        write_json(args.json, summary_of(rows), levels=rows,
                   settings={"model": settings.stt_model, "seconds": args.seconds})
        print(f"\nwrote {args.json}")
    return 0


async def run_relay(levels: list[int], seconds: float) -> list[dict]:
    """Two parties per call on 1 and N calls of one CallCenter (whisper and all)."""
    from .relay_bench import run_level
    from ..center import CallCenter

    with tempfile.TemporaryDirectory(prefix="callkit-bench-audio-") as tmp:
        # Its own database: the bench's calls stay out of the user's call history.
        settings = Settings.from_env().replace(db_path=Path(tmp) / "bench.duckdb")
        async with CallCenter(settings) as center:
            return [await run_level(center, calls, seconds) for calls in levels]


def cmd_bench_audio(args: argparse.Namespace) -> int:
    from .audio_bench import run_bench, summary_of
    from .relay_bench import summary_of as relay_summary
    from .report import print_table, write_json

    levels = levels_of(args.legs, "--legs")
    audio = Path(args.audio) if args.audio else default_calls_dir() / "auto_repairs_40_UTC_caller.wav"
    rows = run_bench(audio, levels, args.seconds)
    print_table(rows, list(rows[0]), title=f"bench audio · aiortc over loopback · "
                                          f"{args.seconds:g} s per leg · {audio.name}")
    relay_rows = asyncio.run(run_relay(levels, args.seconds))
    print_table(relay_rows, list(relay_rows[0]), title="mouth to ear through the kernel's relay "
                "· both parties talking, whole pipeline running · per call")
    if args.json:
        write_json(args.json, {**summary_of(rows), **relay_summary(relay_rows)}, levels=rows,
                   relay=relay_rows)
        print(f"\nwrote {args.json}")
    return 0


def cmd_bench_assistant(args: argparse.Namespace) -> int:
    from .assistant_bench import ENGINES, run_bench, summary_of
    from .report import print_table, write_json

    if args.rounds < 1:
        raise ValueError("--rounds must be at least 1")
    engines = tuple(args.engine.split(","))
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise ValueError(f"unknown engine {unknown[0]!r} (known: {', '.join(ENGINES)})")
    rows = run_bench(args.rounds, engines)
    columns = ["engine", "turns", "suggestions", "final_to_first_token_p50_s",
               "final_to_first_token_p95_s", "final_to_suggestion_done_p50_s",
               "final_to_suggestion_done_p95_s"]
    if "local" in engines:
        columns += ["final_to_first_model_token_p50_s", "final_to_first_model_token_p95_s",
                    "final_to_model_done_p50_s", "final_to_model_done_p95_s"]
    print_table(rows, columns, title="bench assistant · recorded-call turns · seeded DuckDB · "
                "openai: against a local streaming stub · local: the in-process model")
    if args.json:
        write_json(args.json, summary_of(rows), engines=rows)
        print(f"\nwrote {args.json}")
    return 0


def cmd_bench_call(args: argparse.Namespace) -> int:
    from .call_bench import COLUMNS, run_bench, summary_of
    from .report import print_table, write_json
    from ..recordings import list_recordings

    known = list_recordings()
    names = args.calls.split(",") if args.calls else known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown recorded call {unknown[0]!r} (known: {', '.join(known)})")
    settings = Settings.from_env()
    print(f"bench call · {', '.join(names)} · real time through aiortc, whisper "
          f"{settings.stt_model}, the {settings.assistant_engine} assistant and DuckDB",
          flush=True)
    rows = run_bench(names, settings)
    print_table(rows, ["call", "audio_s", "suggestions", *COLUMNS])
    if args.json:
        write_json(args.json, summary_of(rows), calls=rows)
        print(f"\nwrote {args.json}")
    return 0


def cmd_bench_analytics(args: argparse.Namespace) -> int:
    from .analytics_bench import run_bench, slowest
    from .report import print_table, write_json

    if min(args.calls, args.lines, args.days, args.repeat) < 1:
        raise ValueError("--calls, --lines, --days and --repeat must be at least 1")
    print(f"bench analytics · {args.calls:,} past calls, about {args.lines:,} transcript lines "
          f"over {args.days} days · every query over all of them", flush=True)
    with tempfile.TemporaryDirectory(prefix="callkit-bench-") as folder:
        path = Path(args.db) if args.db else Path(folder) / "analytics.duckdb"
        row = run_bench(path, calls=args.calls, lines=args.lines, days=args.days,
                        repeat=args.repeat)
    print_table([{"figure": k, "value": v} for k, v in row.items()], ["figure", "value"])
    name, seconds = slowest(row)
    print(f"\nslowest query {name} {seconds * 1000:.0f} ms (target 200 ms); full refresh "
          f"{row['dashboard_refresh_s']:.2f} s (target 1 s)")
    if args.json:
        write_json(args.json, row, settings={"calls": args.calls, "lines": args.lines,
                                             "days": args.days, "repeat": args.repeat})
        print(f"wrote {args.json}")
    return 0


def cmd_bench_batch(args: argparse.Namespace) -> int:
    from .batch_bench import run_bench, summary_of
    from .report import print_table, write_json

    settings = stt_settings(args)
    folder = Path(args.dir) if args.dir else default_speech_dir()
    sizes = levels_of(args.sizes, "--sizes")
    print(f"bench batch · whisper {settings.stt_model}, {settings.stt_threads} threads · "
          f"{args.window:g} s windows of {folder}", flush=True)
    rows = run_bench(folder, settings, sizes, args.window, args.repeat)
    print_table(rows, ["batch", "window_s", "encode_ms", "decode_ms", "tokens", "total_ms",
                       "encode_speedup", "decode_speedup", "total_speedup"],
                title="milliseconds per item; speedup against one at a time")
    if args.json:
        write_json(args.json, summary_of(rows), sizes=rows,
                   settings={"model": settings.stt_model, "threads": settings.stt_threads,
                             "window_s": args.window, "repeat": args.repeat})
        print(f"\nwrote {args.json}")
    return 0
