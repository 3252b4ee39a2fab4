"""``callkit``: the one command-line entry point."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
import time
from pathlib import Path

from .config import ASSISTANT_ENGINES, Settings
from .packaged_files import ModelNotAvailable
from .store.db import DatabaseInUse
from .bench.all_command import add_all_command
from .bench.concurrency_command import add_concurrency_command
from .bench.designs_command import add_designs_command
from .bench.report import levels_of
from .bench.soak_command import add_soak_command
from .lab.cli_commands import add_lab_commands


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "db", None):
        settings = settings.replace(db_path=Path(args.db).expanduser())
    if getattr(args, "engine", None):
        settings = settings.replace(assistant_engine=args.engine)
    return settings


async def _start_model(settings: Settings) -> None:
    """The local model loaded before the call (its first assembly shows a progress bar), so
    that no turn waits for it."""
    if settings.assistant_engine != "local":
        return
    from .assistant.openai_engine import OpenAIEngine
    from .llm.local_server import shared_server

    print(f"  assistant local model {settings.llm_model} ({settings.assistant_mode}, "
          f"{settings.llm_threads} threads)…", flush=True)
    started = time.perf_counter()
    await asyncio.to_thread(shared_server, settings, True)
    engine = OpenAIEngine(settings, tools=None, rules=None)
    try:
        await engine.connect()  # and its fixed prompt read into the cache
    finally:
        await engine.aclose()
    print(f"  assistant ready in {time.perf_counter() - started:.1f} s", flush=True)


def cmd_seed(args: argparse.Namespace) -> int:
    from .store.db import Database
    from .store.history_seed import HistorySize, seed_history
    from .store.seed import seed

    settings = _settings(args)
    today = dt.date.fromisoformat(args.today) if args.today else None
    started = time.perf_counter()
    with Database(settings.db_path) as db:
        counts = db.run_sync(lambda con: seed(con, seed=args.seed, today=today))
        if args.history:  # past calls; real calls already stored are kept
            size = HistorySize(calls=args.calls or HistorySize.calls * args.weeks // 4,
                               days=7 * args.weeks)
            past = db.run_sync(lambda con: seed_history(con, size=size, seed=args.seed,
                                                        today=today))
            counts |= {f"past {table}": n for table, n in past.items()}
    print(f"Seeded {settings.db_path} in {time.perf_counter() - started:.1f} s")
    for table, n in counts.items():
        print(f"  {table:<22}{n:>9,}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .recordings import list_recordings, load_recording
    from .rtc.sources import check_audio

    if args.list:
        for name in list_recordings():
            rec = load_recording(name)
            print(f"{name:<16}{rec.title} ({rec.duration_s or 0:.0f} s)")
        return 0
    settings = _settings(args).replace(ice="loopback")
    if args.speed is not None:
        settings = settings.replace(replay_speed=args.speed)
    settings.validate()
    recording = load_recording(args.call)
    for path in recording.legs.values():  # a bad file is named now, not in mid-call
        check_audio(path)
    return asyncio.run(_demo(settings, recording))


async def _demo(settings: Settings, recording) -> int:
    from .center import CallCenter
    from .console import TerminalView
    from .store.seed import is_seeded, seed

    print(f"callkit demo · {recording.title}")
    print(f"  database  {settings.db_path}")
    async with CallCenter(settings) as center:
        if not await center.db.run(is_seeded):
            print("  seeding the demo database (600 customers, 2,400 orders, 900 tickets)…",
                  flush=True)
            await center.db.run(lambda con: seed(con))
        await _start_model(settings)
        print(f"  speech    faster-whisper {settings.stt_model} (offline, int8, "
              f"{settings.stt_threads} threads)")
        print(f"  audio     2 legs over WebRTC (aiortc, loopback) at "
              f"{settings.replay_speed:g}× speed\n", flush=True)
        call = await center.replay(recording, observer=TerminalView())
        counts = await center.db.run(_stored_counts, call.call_id)
    print(f"\nCall {call.call_id} stored in {settings.db_path}")
    print("  " + ", ".join(f"{n} {one if n == 1 else many}"
                           for (one, many), n in counts.items()))
    return 0


def _stored_counts(con, call_id: str) -> dict[tuple[str, str], int]:
    queries = {
        ("transcript line", "transcript lines"):
            "SELECT count(*) FROM transcripts WHERE call_id = $1",
        ("suggestion", "suggestions"): "SELECT count(*) FROM ai_suggestions WHERE call_id = $1",
        ("tool call", "tool calls"): "SELECT count(*) FROM tool_calls WHERE call_id = $1",
        ("summary", "summaries"): "SELECT count(*) FROM call_summaries WHERE call_id = $1",
    }
    return {what: con.execute(sql, [call_id]).fetchone()[0] for what, sql in queries.items()}


def cmd_serve(args: argparse.Namespace) -> int:
    import ipaddress

    settings = _settings(args)
    if args.loopback:
        settings = settings.replace(ice="loopback")
    try:
        address = ipaddress.ip_address(args.host)
    except ValueError:
        raise ValueError(f"--host must be an IP address of this machine, not {args.host!r}") \
            from None
    if not address.is_loopback:
        print(f"callkit: serving on {args.host}, reachable from other machines: anyone who "
              "has a page's link (its token) can join that call and hear it; do this only on "
              "a network you trust", file=sys.stderr, flush=True)
    return asyncio.run(_serve(settings, args.host, args.port, args.title))


async def _serve(settings: Settings, host: str, port: int, title: str) -> int:
    import signal

    from .center import CallCenter
    from .console import TerminalView
    from .server import CallServer
    from .store.seed import is_seeded, seed

    # Before anything is printed: a Ctrl-C as soon as the banner shows (a test sends one) must
    # take the graceful way below, not interrupt the start-up half done.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with CallCenter(settings) as center:
        if not await center.db.run(is_seeded):
            print("seeding the demo database…", flush=True)
            await center.db.run(lambda con: seed(con))
        await _start_model(settings)
        async with CallServer(center, host=host, port=port) as server:
            call = center.start_call(title=title)
            call.subscribe(TerminalView(), name="console")
            print(f"callkit serve · call {call.call_id}")
            print(f"  customer page  {server.customer_url(call)}")
            print(f"  agent page     {server.agent_url(call)}")
            print(f"  live events    curl -N '{server.url}/events/{call.call_id}"
                  f"?token={server.token}'")
            print("  Ctrl-C ends the call and prints its summary.\n", flush=True)
            while not stop.is_set() and call.status == "active":
                try:
                    async with asyncio.timeout(0.5):
                        await stop.wait()
                except TimeoutError:
                    pass
            await call.end()
    print(f"\nCall {call.call_id} stored in {settings.db_path}")
    return 0


def default_speech_dir() -> Path:
    """../shared/data/speech beside the project (or beside the current folder)."""
    here = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
    cwd = Path.cwd().parent / "shared" / "data" / "speech"
    return next((p for p in (cwd, here) if p.is_dir()), cwd)


def default_calls_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "shared" / "data" / "calls"
    cwd = Path.cwd().parent / "shared" / "data" / "calls"
    return next((p for p in (cwd, here) if p.is_dir()), cwd)


def stt_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.model:
        settings = settings.replace(stt_model=args.model)
    if args.beam_size:
        settings = settings.replace(stt_beam_size=args.beam_size)
    settings.validate()
    return settings


def cmd_eval_stt(args: argparse.Namespace) -> int:
    from .bench.report import print_table, write_json
    from .bench.stt_eval import run_eval

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
    from .bench import assistant_eval
    from .bench.report import write_json

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


def cmd_bench_stt(args: argparse.Namespace) -> int:
    from .bench.report import print_table, write_json
    from .bench.stt_bench import run_bench, summary_of

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
    from .bench.relay_bench import run_level
    from .center import CallCenter

    async with CallCenter() as center:
        return [await run_level(center, calls, seconds) for calls in levels]


def cmd_bench_audio(args: argparse.Namespace) -> int:
    from .bench.audio_bench import run_bench, summary_of
    from .bench.relay_bench import summary_of as relay_summary
    from .bench.report import print_table, write_json

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
    from .bench.assistant_bench import ENGINES, run_bench, summary_of
    from .bench.report import print_table, write_json

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
    from .bench.call_bench import COLUMNS, run_bench, summary_of
    from .bench.report import print_table, write_json
    from .recordings import list_recordings

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
    import tempfile

    from .bench.analytics_bench import run_bench, slowest
    from .bench.report import print_table, write_json

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


def add_stt_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="speech model (tiny.en, base, or a folder)")
    p.add_argument("--beam-size", type=int, help="whisper beam size")
    p.add_argument("--json", help="also write the figures to this JSON file")


def add_channel_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", default="wide,phone", type=channels_of,
                   help="wide (the files as they are), phone (a telephone-channel copy made "
                        "with sox: 8 kHz, 300-3400 Hz, μ-law), or both (default wide,phone)")


def channels_of(text: str) -> tuple[str, ...]:
    from .bench.stt_eval import CHANNELS

    channels = tuple(c.strip() for c in text.split(",") if c.strip())
    if not channels or any(c not in CHANNELS for c in channels):
        raise argparse.ArgumentTypeError(f"use {' and/or '.join(CHANNELS)}, comma-separated")
    return channels


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callkit", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="play a recorded call through the whole pipeline")
    demo.add_argument("--call", default="sarah_order", help="recorded call to play")
    demo.add_argument("--speed", type=float, help="replay speed (1 = real time)")
    demo.add_argument("--db", help="DuckDB file (default: CALLKIT_DB_PATH or the user data dir)")
    demo.add_argument("--list", action="store_true", help="list the recorded calls")
    demo.add_argument("--engine", choices=ASSISTANT_ENGINES,
                      help="assistant engine (default: CALLKIT_ASSISTANT_ENGINE or rules)")
    demo.set_defaults(func=cmd_demo)

    seed = sub.add_parser("seed", help="(re)create the demo customers, orders and tickets")
    seed.add_argument("--db", help="DuckDB file")
    seed.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    seed.add_argument("--today", help="anchor date YYYY-MM-DD (default: today)")
    seed.add_argument("--history", action="store_true",
                      help="also weeks of past calls before today (for the dashboard)")
    seed.add_argument("--weeks", type=int, default=4, help="weeks of past calls (default 4)")
    seed.add_argument("--calls", type=int, help="past calls in all (default 350 a week)")
    seed.set_defaults(func=cmd_seed)

    serve = sub.add_parser("serve", help="customer simulator page on 127.0.0.1 for a live call")
    serve.add_argument("--port", type=int, default=8765, help="port (0 = any)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                       "127.0.0.1, this machine only; another address prints a warning)")
    serve.add_argument("--db", help="DuckDB file")
    serve.add_argument("--engine", choices=ASSISTANT_ENGINES,
                       help="assistant engine (default: CALLKIT_ASSISTANT_ENGINE or rules)")
    serve.add_argument("--title", default="live call", help="the call's title")
    serve.add_argument("--loopback", action="store_true",
                       help="offer only 127.0.0.1 ICE candidates (browser needs "
                            "--allow-loopback-in-peer-connection)")
    serve.set_defaults(func=cmd_serve)

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
    add_soak_command(bench)
    add_concurrency_command(bench)
    add_designs_command(bench)
    add_all_command(bench)

    add_lab_commands(sub)  # notebooks build, grade, lab
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, DatabaseInUse, ModelNotAvailable) as exc:
        print(f"callkit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncallkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
