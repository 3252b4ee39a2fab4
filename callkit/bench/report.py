"""Printing figures as a table and saving them as JSON (DESIGN.md's format); timing a step."""

from __future__ import annotations

import json
import re
import platform
import statistics
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any, TextIO


def print_table(rows: list[dict[str, Any]], columns: list[str], out: TextIO | None = None,
                title: str = "") -> None:
    out = out or sys.stdout
    cells = [[_fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if title:
        print(title, file=out)
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in cells:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths)),
              file=out)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def write_json(path: str | Path, summary: dict[str, float], **details: Any) -> None:
    """Write ``{"summary": {...flat numbers...}, "machine": {...}, **details}``."""
    flat = {k: v for k, v in summary.items() if isinstance(v, (int, float)) and v is not None}
    doc = {"summary": flat,
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": _cpus(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
           **details}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=2, default=str) + "\n")


def with_count(key: str, n: int, noun: str) -> str:
    """A figure's name for a run of ``n`` things, stat and unit kept last:
    ("speech_end_to_final_p95_s", 8, "streams") -> "speech_end_to_final_8streams_p95_s";
    ("rtf", 8, "streams") -> "rtf_8streams"."""
    match = re.fullmatch(r"(.+?)((?:_p\d+|_max)_[a-z]+)?", key)
    return f"{match.group(1)}_{n}{noun}{match.group(2) or ''}"


def summary_by_count(rows: list[dict], count_key: str, noun: str,
                     keys: tuple[str, ...]) -> dict[str, float]:
    """Flat figures of rows measured at several counts: the count-1 row under the plain
    names (DESIGN.md's), the others through :func:`with_count`."""
    out: dict[str, float] = {}
    for row in rows:
        for key in keys:
            if key in row:
                n = row[count_key]
                out[key if n == 1 else with_count(key, n, noun)] = row[key]
    return out


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def levels_of(text: str, option: str) -> list[int]:
    """The levels of a ``--calls``/``--streams``/``--legs`` option ("1,2,4"), sorted, or a
    clear error."""
    try:
        levels = sorted({int(n) for n in text.split(",") if n.strip()})
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        raise ValueError(f"{option} takes positive whole numbers, e.g. 1,8")
    return levels


def median_time(run: Callable[[], Any], repeat: int) -> float:
    """Seconds ``run()`` takes, the median of ``repeat`` runs after one not counted (a first
    run reads from disk, plans a query, allocates for a shape)."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
