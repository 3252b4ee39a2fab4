"""``callkit eval assistant``: what the assistant gets right on scripted calls.

Each scenario (a JSON file, format in data/scenarios/README.md) runs on a freshly seeded
database plus its own fixture rows: its turns go to the assistant stage as final transcripts
(or, with ``audio``, are spoken by espeak-ng and transcribed by the real streaming STT), the
call ends, and what the agent was shown is scored: who was identified (and anyone wrongly
shown), the caller's orders, the topics raised, facts stated and the summary's action items.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..events import (CallEnded, CallerID, CallSummary, CustomerContext, Event, SuggestionDone,
                      TranscriptFinal)
from ..store.db import Database, connect
from ..store.fixtures import apply_fixtures
from ..store.seed import seed

DEFAULT_TODAY = dt.date(2026, 11, 28)
TURN_GAP_S = 6.0  # call seconds between turn starts: the policy's cooldowns count these


class ScenarioError(ValueError):
    """A scenario file that cannot be run, with the file and what is wrong."""


@dataclass
class Outcome:
    id: str
    identified: str | None = None          # account number shown last, None for nobody
    identified_right: bool = False
    wrong_identifications: list[str] = field(default_factory=list)
    orders_found: list[str] = field(default_factory=list)
    orders_missed: list[str] = field(default_factory=list)
    wrong_orders: list[str] = field(default_factory=list)
    topics_hit: list[str] = field(default_factory=list)
    topics_missed: list[str] = field(default_factory=list)
    not_topic_violations: list[str] = field(default_factory=list)
    facts_missed: list[str] = field(default_factory=list)
    facts_n: int = 0
    action_items_missed: list[str] = field(default_factory=list)
    action_items_n: int = 0
    shown: list[str] = field(default_factory=list)  # "topic: message" of every card


def load_scenarios(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    scenarios = []
    for path in sorted(folder.glob("*.json")):
        try:
            scenario = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}: not valid JSON ({exc})") from exc
        for key in ("id", "turns", "expect"):
            if key not in scenario:
                raise ScenarioError(f"{path}: missing {key!r}")
        for turn in scenario["turns"]:
            if turn.get("speaker") not in ("customer", "agent") or not turn.get("text"):
                raise ScenarioError(f"{path}: each turn needs speaker customer|agent and text")
        unknown = set(scenario["expect"]) - {"customer", "orders", "topics", "not_topics",
                                             "facts", "action_items"}
        if unknown:
            raise ScenarioError(f"{path}: unknown expect keys {sorted(unknown)}")
        scenarios.append(scenario)
    if not scenarios:
        raise FileNotFoundError(f"no scenario (*.json) in {folder}")
    return scenarios


def _prepare(path: Path, scenario: dict[str, Any], today: dt.date) -> None:
    con = connect(path)
    try:
        seed(con, today=today)
        apply_fixtures(con, scenario.get("fixtures") or {})
    finally:
        con.close()


async def run_scenario(scenario: dict[str, Any], settings: Settings, workdir: Path,
                       texts: list[str] | None = None) -> tuple[list[Event], dict[str, str]]:
    """The events the assistant published on this scenario's call, and each order number on
    file mapped to its owner's account number (to judge what was shown as whose).
    ``texts`` replaces the turns' words (what the STT heard of them)."""
    from ..assistant.stage import Assistant

    today = dt.date.fromisoformat(scenario.get("today") or DEFAULT_TODAY.isoformat())
    path = workdir / f"{re.sub(r'[^A-Za-z0-9_-]', '_', scenario['id'])}.duckdb"
    path.unlink(missing_ok=True)
    await asyncio.to_thread(_prepare, path, scenario, today)
    events: list[Event] = []
    call_id = f"eval-{scenario['id']}"
    db = await asyncio.to_thread(Database, path)
    try:
        assistant = Assistant(call_id, settings, db.run, events.append, today=today)
        if scenario.get("caller_id"):
            await assistant.handle(CallerID(call_id=call_id, number=scenario["caller_id"]))
        for i, turn in enumerate(scenario["turns"]):
            text = texts[i] if texts is not None else turn["text"]
            if not text.strip():
                continue
            start = i * TURN_GAP_S
            await assistant.handle(TranscriptFinal(
                call_id=call_id, leg=turn["speaker"], text=text, start=start,
                end=start + TURN_GAP_S - 1.0, turn=i, confidence=0.9))
            await assistant.settle()  # a model's answer comes before the next turn
        await assistant.handle(CallEnded(call_id=call_id, status="completed",
                                         duration_s=len(scenario["turns"]) * TURN_GAP_S))
        await assistant.aclose()
        owners = dict(await db.run(lambda con: con.execute(
            "SELECT o.order_number, c.account_number FROM orders o "
            "JOIN customers c ON c.id = o.customer_id").fetchall()))
    finally:
        await asyncio.to_thread(db.close)
        path.unlink(missing_ok=True)
    return events, owners


def score(scenario: dict[str, Any], events: list[Event], owners: dict[str, str]) -> Outcome:
    expect = scenario["expect"]
    out = Outcome(scenario["id"])
    want = expect.get("customer")
    want = None if want is None else str(want)
    for e in events:
        if isinstance(e, CustomerContext):
            shown = e.customer["account_number"] if e.customer else None
            if e.customer is not None:
                out.identified = shown
                if shown != want and shown not in out.wrong_identifications:
                    out.wrong_identifications.append(shown)
    out.identified_right = out.identified == want
    cards = [e for e in events if isinstance(e, SuggestionDone)]
    out.shown = [f"{c.topic}: {c.message}" for c in cards]
    # Orders shown as the caller's: the panel's and those a card presents (not warnings).
    shown_orders: list[str] = []
    for e in events:
        if isinstance(e, CustomerContext) and e.customer is not None:
            shown_orders += [o["order_number"] for o in e.orders]
    for c in cards:
        if c.topic != "verify_identity":
            shown_orders += re.findall(r"#(\d{4,10})\b", c.message)
    shown_orders = list(dict.fromkeys(shown_orders))
    for number in expect.get("orders") or ():
        (out.orders_found if str(number) in shown_orders else out.orders_missed).append(
            str(number))
    out.wrong_orders = [n for n in shown_orders if n in owners and owners[n] != want]
    raised = {c.topic for c in cards}
    for topic in expect.get("topics") or ():
        (out.topics_hit if topic in raised else out.topics_missed).append(topic)
    out.not_topic_violations = [t for t in expect.get("not_topics") or () if t in raised]
    said = " ".join(c.message for c in cards).lower()
    facts = expect.get("facts") or ()
    out.facts_n = len(facts)
    out.facts_missed = [f for f in facts if f.lower() not in said]
    summary = next((e for e in events if isinstance(e, CallSummary)), None)
    items = " ".join(summary.action_items).lower() if summary else ""
    wanted_items = expect.get("action_items") or ()
    out.action_items_n = len(wanted_items)
    out.action_items_missed = [a for a in wanted_items if a.lower() not in items]
    return out


def _ratio(hit: int, total: int) -> float:
    return round(hit / total, 4) if total else 1.0


def totals(outcomes: list[Outcome]) -> dict[str, Any]:
    topics = sum(len(o.topics_hit) + len(o.topics_missed) for o in outcomes)
    facts = sum(o.facts_n for o in outcomes)
    items = sum(o.action_items_n for o in outcomes)
    return {
        "scenarios": len(outcomes),
        "identify_accuracy": _ratio(sum(o.identified_right for o in outcomes), len(outcomes)),
        "wrong_identifications": sum(len(o.wrong_identifications) for o in outcomes),
        "wrong_orders": sum(len(o.wrong_orders) for o in outcomes),
        "order_recall": _ratio(sum(len(o.orders_found) for o in outcomes),
                               sum(len(o.orders_found) + len(o.orders_missed) for o in outcomes)),
        "topic_recall": _ratio(sum(len(o.topics_hit) for o in outcomes), topics),
        "not_topic_violations": sum(len(o.not_topic_violations) for o in outcomes),
        "fact_recall": _ratio(facts - sum(len(o.facts_missed) for o in outcomes), facts),
        "action_item_recall": _ratio(items - sum(len(o.action_items_missed) for o in outcomes),
                                     items),
    }


async def _heard(scenario: dict[str, Any], settings: Settings, recognizer,
                 workdir: Path) -> list[str]:
    """Each turn spoken by espeak-ng (a voice per speaker) and transcribed by the real
    streaming STT: what the assistant would hear of it on a call."""
    import numpy as np

    from ..metrics import LatencyTracker
    from ..rtc.sources import read_audio
    from .stt_eval import stream_through_stt

    texts = []
    for i, turn in enumerate(scenario["turns"]):
        wav = workdir / f"turn-{i}.wav"
        voice = VOICES[turn["speaker"]]
        proc = await asyncio.create_subprocess_exec(
            "espeak-ng", "-v", voice, "-s", "160", "-w", str(wav), turn["text"],
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed: {err.decode(errors='replace').strip()}")
        samples = (await asyncio.to_thread(read_audio, wav, 16000)).astype(np.float32) / 32768.0
        wav.unlink(missing_ok=True)
        stream = await stream_through_stt(samples, settings, recognizer, LatencyTracker(),
                                          speed=20.0, call_id=f"eval-{scenario['id']}-{i}")
        texts.append(" ".join(f.text for f in stream.finals))
    return texts


VOICES = {"customer": "en-us+f3", "agent": "en-us+m3"}


async def evaluate(folder: Path, settings: Settings, workdir: Path, *, audio: bool = False,
                   progress: bool = True) -> dict[str, Any]:
    from tqdm import tqdm

    scenarios = load_scenarios(folder)
    recognizer = None
    if audio:
        from ..stt.engines import shared_recognizer
        recognizer = await asyncio.to_thread(shared_recognizer, settings)
    outcomes = []
    heard: dict[str, list[str]] = {}
    started = time.perf_counter()
    for scenario in tqdm(scenarios, desc="eval assistant", unit="scenario", disable=not progress):
        texts = None
        if recognizer is not None:
            texts = heard[scenario["id"]] = await _heard(scenario, settings, recognizer, workdir)
        events, owners = await run_scenario(scenario, settings, workdir, texts)
        outcomes.append(score(scenario, events, owners))
    summary = {**totals(outcomes), "wall_s": round(time.perf_counter() - started, 2)}
    return {"summary": summary,
            "scenarios": [{**o.__dict__, **({"heard": heard[o.id]} if o.id in heard else {})}
                          for o in outcomes],
            "settings": {"engine": settings.assistant_engine, "mode": settings.assistant_mode,
                         "audio": audio, "model": settings.stt_model if audio else None}}


def report(result: dict[str, Any]) -> str:
    lines = [f"{'scenario':34} {'who':>5} {'wrong':>5} {'orders':>7} {'topics':>7} "
             f"{'facts':>6} {'items':>6}  misses"]
    for o in result["scenarios"]:
        topics = len(o["topics_hit"]) + len(o["topics_missed"])
        orders = len(o["orders_found"]) + len(o["orders_missed"])
        misses = ([f"topic {t}" for t in o["topics_missed"]]
                  + [f"raised {t}" for t in o["not_topic_violations"]]
                  + [f"fact {f!r}" for f in o["facts_missed"]]
                  + [f"item {a!r}" for a in o["action_items_missed"]]
                  + [f"order {n}" for n in o["orders_missed"]]
                  + [f"wrong order {n}" for n in o["wrong_orders"]]
                  + [f"showed {a}" for a in o["wrong_identifications"]])
        lines.append(
            f"{o['id'][:34]:34} {'ok' if o['identified_right'] else 'MISS':>5} "
            f"{len(o['wrong_identifications']):>5} {len(o['orders_found'])}/{orders:<5} "
            f"{len(o['topics_hit'])}/{topics:<5} {o['facts_n'] - len(o['facts_missed'])}/"
            f"{o['facts_n']:<4} {o['action_items_n'] - len(o['action_items_missed'])}/"
            f"{o['action_items_n']:<4}  {'; '.join(misses)}")
    lines.append("")
    lines += [f"{k:>24}: {v}" for k, v in result["summary"].items()]
    return "\n".join(lines)


def scenarios_dir() -> Path:
    """The scenarios shipped with the kit (data/scenarios, packaged as callkit/_data)."""
    here = Path(__file__).resolve().parents[1]
    return next((p for p in (here / "_data" / "scenarios", here.parent / "data" / "scenarios")
                 if p.is_dir()), here.parent / "data" / "scenarios")


def run(folder: Path, settings: Settings, *, audio: bool, progress: bool) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="callkit-eval-") as workdir:
        return asyncio.run(evaluate(folder, settings, Path(workdir), audio=audio,
                                    progress=progress))
