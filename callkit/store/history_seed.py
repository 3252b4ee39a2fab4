"""Weeks of past calls, so the dashboard and the call history mean something on day one.

``seed_history`` writes calls as the recorder would have: the call row, every transcript line
(with the customer's sentiment), the suggestions with the agent's Use / Dismiss, the tool calls
and what they found, quick actions, flagged moments, the summary and each turn's latency marks.
The conversations are the scripts in history_scripts.json, filled in with the seeded customers
and their orders. The same seed, size and day always give the same rows. Seeded calls' ids
start with ``hist-``: seeding again replaces them and keeps every real call.

Python plans each call (who, when, which script, how long); DuckDB writes the rows set-wise
(history_seed.sql), so 100,000 calls and 5 million lines take seconds, not hours.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from ..assistant.memory import sentiment_label
from .db import transaction
from .transcript_search import build_transcript_index

PREFIX = "hist-"
AGENTS = ("Maya Patel", "Luis Ortega", "Priya Shah", "Tom Becker", "Aisha Bello", "Wei Chen",
          "Rosa Martins", "Sam Okafor")
WEEKDAY_LOAD = (1.0, 1.0, 0.95, 0.95, 0.9, 0.55, 0.35)  # Monday first
HOUR_LOAD = {8: 0.6, 9: 1.0, 10: 1.3, 11: 1.25, 12: 1.0, 13: 1.1, 14: 1.25, 15: 1.15, 16: 1.0,
             17: 0.8, 18: 0.6, 19: 0.4}
ABANDONED = 0.05            # share of calls that dropped before the end
KEPT_WHEN_DROPPED = (0.2, 0.6)  # the share of its lines a dropped call got through
LINE_GAP_S = 0.6   # silence between two lines
HOLD_SHARE, HOLD_MEAN_S = 0.6, 90.0


@dataclass(frozen=True)
class HistorySize:
    calls: int = 1_400            # about 50 a day over four weeks
    days: int = 28
    lines_per_call: float = 28.0  # on average; small talk while the agent looks things up

    @classmethod
    def of(cls, calls: int, lines: int, days: int) -> "HistorySize":
        """About ``lines`` transcript lines in all (dropped calls are short of theirs)."""
        kept = ABANDONED * sum(KEPT_WHEN_DROPPED) / 2 + (1 - ABANDONED)
        return cls(calls=calls, days=days, lines_per_call=lines / calls / kept)


def line_seconds(text: str) -> float:
    """How long a line takes to say: a short pause to start, then about three words a second."""
    return 0.8 + 0.32 * len(text.split())


def load_scripts() -> dict:
    return json.loads(resources.files(__package__).joinpath("history_scripts.json").read_text())


def seed_history(con: duckdb.DuckDBPyConnection, *, size: HistorySize = HistorySize(),
                 seed: int = 7, today: dt.date | None = None) -> dict[str, int]:
    """Replace the seeded past calls (never real ones) with ``size.calls`` calls over the
    ``size.days`` days before ``today``. Needs the demo data (customers, orders) first."""
    today = today or dt.date.today()
    scripts = load_scripts()
    tables = script_tables(scripts)
    plan = plan_calls(con, tables, size, seed, today)
    statements = resources.files(__package__).joinpath("history_seed.sql").read_text()
    for table in ("transcripts", "ai_suggestions", "tool_calls", "agent_actions",
                  "flagged_moments", "call_summaries", "turn_latency", "calls"):
        con.execute(f"DELETE FROM {table} WHERE starts_with(call_id, $1)", [PREFIX])
    for name, frame in {"plan": plan, **tables}.items():
        con.register(f"seed_{name}", frame)
    try:
        with transaction(con):
            for statement in statements.split(";\n"):
                if statement.strip():
                    con.execute(statement)
            _label_sentiment(con)
    finally:
        for name in ("plan", *tables):
            con.unregister(f"seed_{name}")
    build_transcript_index(con)
    return {table: con.execute(f"SELECT count(*) FROM {table} WHERE starts_with(call_id, $1)",
                               [PREFIX]).fetchone()[0]
            for table in ("calls", "transcripts", "ai_suggestions", "tool_calls",
                          "agent_actions", "turn_latency")}


def _label_sentiment(con: duckdb.DuckDBPyConnection) -> None:
    """A call's sentiment is its customer's mean, labelled as the assistant labels it."""
    means = con.execute(
        "SELECT call_id, avg(sentiment) AS score FROM transcripts WHERE speaker = 'customer' "
        "AND starts_with(call_id, $1) GROUP BY call_id", [PREFIX]).df()
    means["label"] = [sentiment_label(s) for s in means["score"]]
    con.register("seed_labels", means)
    try:
        con.execute("UPDATE calls SET sentiment = l.label FROM seed_labels l "
                    "WHERE calls.call_id = l.call_id")
        con.execute("UPDATE call_summaries SET sentiment = l.label, text = replace(text, "
                    "'{sentiment}', l.label) FROM seed_labels l "
                    "WHERE call_summaries.call_id = l.call_id")
        con.execute("UPDATE calls SET summary = s.text FROM call_summaries s "
                    "WHERE calls.call_id = s.call_id AND starts_with(calls.call_id, $1)",
                    [PREFIX])
    finally:
        con.unregister("seed_labels")


def script_tables(scripts: dict) -> dict[str, pd.DataFrame]:
    """The scripts as small tables with each line's place and time in a call of pace 1."""
    scenarios, lines, suggestions, tools, actions, flags = [], [], [], [], [], []
    for sc in scripts["scenarios"]:
        at, turns, ends = 0.0, {"agent": 0, "customer": 0}, []
        for pos, (speaker, text, *sentiment) in enumerate(sc["lines"]):
            if pos == sc["hold_at"]:
                insert_s, turns_before = at, dict(turns)
            turns[speaker] += 1
            seconds = line_seconds(text)
            lines.append({"scenario": sc["id"], "pos": pos, "speaker": speaker, "text": text,
                          "sentiment": sentiment[0] if sentiment else None, "start_s": at,
                          "end_s": at + seconds, "turn": turns[speaker],
                          "after_hold": pos >= sc["hold_at"]})
            ends.append(at + seconds)
            at += seconds + LINE_GAP_S
        scenarios.append({"scenario": sc["id"], "weight": sc["weight"], "title": sc["title"],
                          "reason": sc["reason"], "resolution": sc["resolution"],
                          "intents": json.dumps(sc["intents"]), "hold_at": sc["hold_at"],
                          "hold_s": insert_s, "agent_turns_before": turns_before["agent"],
                          "customer_turns_before": turns_before["customer"],
                          "lines": len(sc["lines"]), "anonymous": sc.get("anonymous", False)})
        for k, s in enumerate(sc["suggestions"]):
            suggestions.append({"scenario": sc["id"], "k": k, "after": s["after"],
                                "kind": s["kind"], "priority": s["priority"],
                                "topic": s["topic"], "message": s["message"],
                                "used_pct": s["used"], "dismissed_pct": s["dismissed"]})
        for k, t in enumerate(sc["tools"]):
            tools.append({"scenario": sc["id"], "k": k, "after": t["after"], "name": t["name"],
                          "arguments": json.dumps(t["arguments"]),
                          "result": json.dumps(t["result"]), "miss_pct": t.get("miss", 0),
                          "miss_result": json.dumps(t.get("miss_result"))})
        for k, a in enumerate(sc["actions"]):
            actions.append({"scenario": sc["id"], "k": k, "after": a["after"],
                            "action": a["action"], "pct": a["pct"]})
        for k, f in enumerate(sc["flags"]):
            flags.append({"scenario": sc["id"], "k": k, "after": f["after"], "note": f["note"],
                          "pct": f["pct"]})
    fillers, at = [], 0.0
    for idx, (agent, customer, sentiment) in enumerate(scripts["fillers"]):
        agent_s, customer_s = line_seconds(agent), line_seconds(customer)
        fillers.append({"idx": idx, "agent": agent, "customer": customer,
                        "sentiment": sentiment, "offset_s": at, "agent_s": agent_s,
                        "customer_at_s": agent_s + LINE_GAP_S, "customer_s": customer_s})
        at += agent_s + customer_s + 2 * LINE_GAP_S
    for row in fillers:  # a long call plays the exchanges again, one round after another
        row["cycle_s"] = at
    frames = {"scenarios": scenarios, "lines": lines, "suggestions": suggestions,
              "tools": tools, "actions": actions, "flags": flags, "fillers": fillers}
    return {name: pd.DataFrame(rows) for name, rows in frames.items()}


def plan_calls(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame],
               size: HistorySize, seed: int, today: dt.date) -> pd.DataFrame:
    """One row per call: when, who (a seeded customer and one of their orders), which script,
    how fast it was spoken, how much small talk, and how it ended."""
    people = con.execute(
        "SELECT c.id, c.name, c.account_number, c.phone, o.order_number, o.product_name, "
        "coalesce(o.carrier, 'UPS') AS carrier, "
        "coalesce((SELECT total FROM invoices i WHERE i.customer_id = c.id "
        "          ORDER BY billed_on DESC LIMIT 1), 129.99) AS amount "
        "FROM customers c JOIN orders o ON o.customer_id = c.id "
        "QUALIFY row_number() OVER (PARTITION BY c.id ORDER BY o.order_date DESC) = 1 "
        "ORDER BY c.id").df()
    if people.empty:
        raise ValueError("seed the demo data first (callkit seed): past calls need customers")
    scenarios, fillers = tables["scenarios"], tables["fillers"]
    rng = np.random.default_rng(seed)
    n = size.calls
    first_day = today - dt.timedelta(days=size.days)
    days = [first_day + dt.timedelta(days=d) for d in range(size.days)]
    day_p = np.array([WEEKDAY_LOAD[d.weekday()] for d in days])
    hours = np.array(list(HOUR_LOAD))
    hour_p = np.array(list(HOUR_LOAD.values()))
    start = (pd.to_datetime(np.array(days, dtype="datetime64[D]")[
                 rng.choice(len(days), n, p=day_p / day_p.sum())])
             + pd.to_timedelta(rng.choice(hours, n, p=hour_p / hour_p.sum()), unit="h")
             + pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
    sc = scenarios.iloc[rng.choice(len(scenarios), n, p=scenarios.weight / scenarios.weight.sum())]
    who = people.iloc[rng.integers(0, len(people), n)].reset_index(drop=True)
    sc = sc.reset_index(drop=True)
    exchanges = np.maximum(0, np.round((size.lines_per_call - sc["lines"]) / 2
                                       + rng.integers(-3, 4, n))).astype(int)
    total = sc["lines"].to_numpy() + 2 * exchanges
    abandoned = rng.random(n) < ABANDONED
    kept = np.maximum(2, (total * rng.uniform(*KEPT_WHEN_DROPPED, n)).astype(int))
    keep = np.where(abandoned, kept, total)
    anonymous = sc["anonymous"].to_numpy()
    # Most calls put the caller on hold while the agent looks something up.
    hold_s = np.where(rng.random(n) < HOLD_SHARE, np.minimum(rng.exponential(HOLD_MEAN_S, n),
                                                             4 * HOLD_MEAN_S), 0.0)
    plan = pd.DataFrame({
        "scenario": sc["scenario"], "start_time": start,
        "customer_id": pd.array(np.where(anonymous, None, who["id"]), dtype="Int64"),
        "name": who["name"], "first": who["name"].str.split(" ").str[0],
        "account": who["account_number"], "order_no": who["order_number"],
        "product": who["product_name"], "carrier": who["carrier"],
        "amount": ["$" + f"{a:.2f}" for a in who["amount"]],
        "caller_number": np.where(anonymous | (rng.random(n) < 0.3), None, who["phone"]),
        "agent": np.array(AGENTS)[rng.integers(0, len(AGENTS), n)],
        "pace": rng.uniform(0.85, 1.25, n), "mood": rng.uniform(-0.15, 0.15, n),
        # How much later the lines after the small talk come: whole rounds of it, then the
        # exchanges of the last round (each exchange's offset_s is where it starts).
        "fillers": exchanges, "keep": keep,
        "hold_shift_s": (exchanges // len(fillers)) * fillers.cycle_s.iloc[0]
        + fillers.offset_s.to_numpy()[exchanges % len(fillers)] + hold_s,
        "status": np.where(abandoned, "abandoned", "completed"),
        "end_reason": np.where(abandoned, "the caller's line dropped",
                               np.where(rng.random(n) < 0.6, "customer hung up",
                                        "agent ended the call")),
    }).sort_values("start_time", kind="stable").reset_index(drop=True)
    plan.insert(0, "call_id", [f"{PREFIX}{seed}-{i:06d}" for i in range(n)])
    return plan
