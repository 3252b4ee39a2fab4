"""A past call as a file to hand on: JSON (which reads back as the same timeline) or
Markdown (for a ticket or an e-mail). Personal data is redacted unless asked otherwise.

Redaction is assistant/redact.py's ``redact`` (card numbers keep their last four digits,
e-mails and phone numbers go, spoken digits included) over every text, plus the caller's own
name and account number wherever they were said or shown (spoken digits too: runs as long as
the account number are written as numerals), and their record's e-mail and phone.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import duckdb

from ..assistant.redact import redact
from ..assistant.spoken import normalize_numbers
from ..events import QUICK_ACTIONS
from .history import call_timeline

FORMATS = ("json", "markdown")
# The parts of a timeline that hold words someone said, wrote or looked up.
TEXTS = {"transcript": ("text",), "suggestions": ("message",), "tool_calls": ("arguments",
         "result"), "actions": ("payload",), "flags": ("note",)}


def export_call(con: duckdb.DuckDBPyConnection, call_id: str, fmt: str = "json", *,
                redacted: bool = True) -> str:
    """The call ``call_id`` as JSON or Markdown text."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    timeline = call_timeline(con, call_id)
    if redacted:
        timeline = redact_timeline(timeline)
    return to_json(timeline) if fmt == "json" else to_markdown(timeline)


def redact_timeline(timeline: dict[str, Any]) -> dict[str, Any]:
    """A copy with personal data replaced (see the module's docstring)."""
    out = copy.deepcopy(timeline)
    scrub = _scrubber(out.get("customer"))
    if out["customer"]:
        out["customer"].update(name="[customer]", account_number="[account]",
                               email="[email]", phone="[phone]")
    call = out["call"]
    call["title"] = scrub(call["title"])
    if call.get("caller_number"):
        call["caller_number"] = "[phone]"
    for part, keys in TEXTS.items():
        for row in out[part]:
            for key in keys:
                row[key] = scrub(row[key])
    if out["summary"]:
        out["summary"] = {key: scrub(value) for key, value in out["summary"].items()}
    return out


def _scrubber(customer: dict[str, Any] | None):
    """redact() on every string in a value (nested too), then the caller's name and account
    (in that order: an e-mail made of the name must still look like an e-mail to redact())."""
    names, account = [], (customer or {}).get("account_number") or ""
    if customer:
        full = customer["name"] or ""
        names = [full] + [part for part in full.split() if len(part) > 2]
    patterns = [(re.compile(rf"\b{re.escape(n)}\b", re.I), "[customer]") for n in names if n]
    if account:
        patterns.append((re.compile(rf"\b{re.escape(account)}\b"), "[account]"))

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            value = redact(value)
            if account:  # "four eight two one three" is the account number too
                value = normalize_numbers(value, min_digits=len(account))
            for pattern, placeholder in patterns:
                value = pattern.sub(placeholder, value)
            return value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return scrub


def to_json(timeline: dict[str, Any]) -> str:
    return json.dumps({"format": "callkit.call/1", **timeline}, indent=2, default=str)


def from_json(text: str) -> dict[str, Any]:
    """The timeline a JSON export was written from."""
    doc = json.loads(text)
    if doc.pop("format", None) != "callkit.call/1":
        raise ValueError("not a callkit call export")
    return doc


def _clock(seconds: float | None) -> str:
    s = max(0, int(seconds or 0))
    return f"{s // 60:02d}:{s % 60:02d}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def timeline_rows(timeline: dict[str, Any]) -> list[tuple[float, str, str]]:
    """(at_s, who, what) of everything that happened, in call-time order."""
    rows = [(line["at_s"], line["speaker"], line["text"]) for line in timeline["transcript"]]
    for s in timeline["suggestions"]:
        what = f"{s['message']} — {s['feedback'] or 'no button pressed'}"
        rows.append((s["at_s"], f"assistant ({s['kind']}, {s['topic']})", what))
    for t in timeline["tool_calls"]:
        rows.append((t["at_s"], f"tool {t['name']}", json.dumps(t["arguments"], default=str)))
    for a in timeline["actions"]:
        rows.append((a["at_s"], "agent action", QUICK_ACTIONS.get(a["action"], a["action"])
                     + (f": {a['payload']['text']}" if a["payload"].get("text") else "")))
    for f in timeline["flags"]:
        rows.append((f["at_s"], "flag", f["note"] or "flagged"))
    return sorted(rows, key=lambda row: row[0] or 0)


def to_markdown(timeline: dict[str, Any]) -> str:
    call, customer, summary = timeline["call"], timeline["customer"], timeline["summary"]
    lines = [f"# {call['title'] or 'Call ' + call['call_id']}", "",
             f"- **Call** {call['call_id']}, started {call['started']}, "
             f"{(call['duration_seconds'] or 0) / 60:.1f} min, {call['status']}"
             + (f" ({call['end_reason']})" if call.get("end_reason") else ""),
             f"- **Agent** {call['agent']}",
             "- **Customer** " + (f"{customer['name']}, account {customer['account_number']}, "
                                  f"{customer['tier']}" if customer else "not identified"),
             f"- **Sentiment** {call['sentiment'] or 'unknown'}", ""]
    if summary:
        lines += ["## Summary", "", summary["text"], ""]
        if summary["action_items"]:
            lines += ["Action items:", ""] + [f"- {item}" for item in summary["action_items"]]
            lines.append("")
    lines += ["## Timeline", "", "| time | who | what |", "| --- | --- | --- |"]
    lines += [f"| {_clock(at)} | {_cell(who)} | {_cell(what)} |"
              for at, who, what in timeline_rows(timeline)]
    return "\n".join(lines) + "\n"
