"""``callkit eval``: quality measured on recorded speech and scripted calls.

Registered from callkit/cli.py with one call."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import ASSISTANT_ENGINES
from .cli_options import (add_channel_option, add_stt_options, default_speech_dir,
                          stt_settings)


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    evaluate = sub.add_parser("eval", help="measure quality").add_subparsers(
        dest="what", required=True)
    stt = evaluate.add_parser("stt", help="word error rate through the streaming STT path")
    stt.add_argument("dir", nargs="?", help="audio files with same-named .txt references "
                     "(default ../shared/data/speech)")
    stt.add_argument("--speed", type=float, default=1.0, help="streaming pace (1 = real time)")
    add_channel_option(stt)
    stt.add_argument("--quiet", action="store_true", help="no progress bar")
    add_stt_options(stt)
    stt.set_defaults(func=cmd_eval_stt)
    eas = evaluate.add_parser("assistant", help="score the assistant on scripted calls")
    eas.add_argument("dir", nargs="?", help="scenario JSON files (default: the kit's "
                     "data/scenarios)")
    eas.add_argument("--engine", choices=ASSISTANT_ENGINES,
                     help="assistant engine (default: CALLKIT_ASSISTANT_ENGINE or rules)")
    eas.add_argument("--mode", choices=("hybrid", "model"),
                     help="with a model: hybrid (default) or the model's tips alone")
    eas.add_argument("--audio", action="store_true", help="speak each turn with espeak-ng "
                     "and transcribe it with the real STT first")
    eas.add_argument("--quiet", action="store_true", help="no progress bar")
    add_stt_options(eas)
    eas.set_defaults(func=cmd_eval_assistant)


def cmd_eval_stt(args: argparse.Namespace) -> int:
    from .report import print_table, write_json
    from .stt_eval import run_eval

    settings = stt_settings(args)
    folder = Path(args.dir) if args.dir else default_speech_dir()
    result = run_eval(folder, settings, args.speed, progress=not args.quiet,
                      channels=args.channel)
    print_table(result["files"], ["channel", "name", "duration_s", "words", "wer",
                                  "wer_whole_file", "substitutions", "deletions", "insertions",
                                  "partials", "finals"],
                title=f"STT through the streaming path · model {settings.stt_model} · {folder}")
    print()
    print_table(result["channels"], ["channel", "audio_s", "wer", "wer_whole_file", "rtf",
                                     "speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
                                     "speech_start_to_first_partial_p50_s"], title="Total")
    if args.json:
        write_json(args.json, result["summary"], files=result["files"],
                   settings=result["settings"])
        print(f"\nwrote {args.json}")
    return 0


def cmd_eval_assistant(args: argparse.Namespace) -> int:
    from . import assistant_eval
    from .report import write_json

    settings = stt_settings(args)
    if args.engine:
        settings = settings.replace(assistant_engine=args.engine)
    if args.mode:
        settings = settings.replace(assistant_mode=args.mode)
    settings = settings.replace(token_delay_s=0.0, replay_speed=1000.0)
    settings.validate()
    folder = Path(args.dir) if args.dir else assistant_eval.scenarios_dir()
    result = assistant_eval.run(folder, settings, audio=args.audio, progress=not args.quiet)
    print(assistant_eval.report(result))
    if args.json:
        write_json(args.json, result["summary"], scenarios=result["scenarios"],
                   settings=result["settings"])
        print(f"\nwrote {args.json}")
    return 0
