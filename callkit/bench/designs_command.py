"""``callkit bench designs``: its options and its output (a table, and JSON with --json).

Registered from bench_commands.py with one call, beside the other ``bench`` commands."""

from __future__ import annotations

import argparse
from pathlib import Path

TABLE = ["design", "channel", "wer", "wer_vs_main", "speech_end_to_final_p50_s",
         "speech_end_to_final_p95_s", "p50_vs_main", "speech_start_to_first_partial_p50_s",
         "rtf", "speech_end_to_final_n"]


def add_designs_command(bench: argparse._SubParsersAction) -> None:
    from .cli_options import add_channel_option, add_stt_options

    des = bench.add_parser("designs", help="the STT stage built five ways, side by side: "
                                           "batching, re-decoding, before, main, short window")
    des.add_argument("dir", nargs="?", help="audio files with same-named .txt references "
                     "(default ../shared/data/speech)")
    des.add_argument("--only", help="designs to run, comma-separated (default all; main is "
                     "always run, the ratios are to it)")
    des.add_argument("--batch-seconds", type=float, default=4.0,
                     help="the batching design's batch length (default 4)")
    des.add_argument("--speed", type=float, default=1.0,
                     help="streaming pace (1 = real time; latency is only meaningful at 1)")
    des.add_argument("--quiet", action="store_true", help="no progress bars")
    add_channel_option(des)
    add_stt_options(des)
    des.set_defaults(func=cmd_bench_designs)


def cmd_bench_designs(args: argparse.Namespace) -> int:
    from .cli_options import stt_settings, default_speech_dir
    from .designs import pick, run_bench
    from .report import print_table, write_json

    if not 0.5 <= args.batch_seconds <= 30:
        raise ValueError("--batch-seconds must be between 0.5 and 30")
    if args.speed <= 0:
        raise ValueError("--speed must be positive")
    settings = stt_settings(args)
    chosen = pick(args.batch_seconds,
                  [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None)
    folder = Path(args.dir) if args.dir else default_speech_dir()
    print(f"bench designs · model {settings.stt_model} · {folder} · "
          f"{'real time' if args.speed == 1 else f'{args.speed:g}x real time'}", flush=True)
    for design in chosen:
        print(f"  {design.name}: {design.what}")
    result = run_bench(folder, settings, chosen, channels=args.channel, speed=args.speed,
                       progress=not args.quiet)
    print()
    print_table(result["rows"], TABLE, title="Side by side, same audio, same model")
    if args.json:
        write_json(args.json, result["summary"], rows=result["rows"],
                   settings=result["settings"])
        print(f"\nwrote {args.json}")
    return 0
