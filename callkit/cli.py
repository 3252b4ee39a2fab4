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
from .bench.bench_commands import add_bench_commands
from .bench.eval_commands import add_eval_commands
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
              f"{settings.stt_workers} worker{'s' if settings.stt_workers > 1 else ''} × "
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

    add_eval_commands(sub)
    add_bench_commands(sub)
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
