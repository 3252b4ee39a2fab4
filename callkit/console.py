"""A terminal view of a call: a bus subscriber that prints what the agent's console shows."""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TextIO

from .events import (CallEnded, CallStarted, CallSummary, CustomerContext, Event,
                     SuggestionDone, SuggestionStarted, SuggestionToken, TranscriptFinal,
                     TranscriptPartial)

ICONS = {"suggestion": "💡", "alert": "⚠️ ", "info": "ℹ️ "}
COLORS = {"customer": "36", "agent": "35", "suggestion": "32", "alert": "31", "info": "34",
          "dim": "2", "bold": "1"}
INDENT = " " * 11


def clock(t: float) -> str:
    minutes, seconds = divmod(max(t, 0.0), 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"


class TerminalView:
    def __init__(self, out: TextIO | None = None, *, color: bool | None = None):
        self.out = out or sys.stdout
        tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.live = tty  # partials are redrawn in place only on a terminal
        self.color = tty and "NO_COLOR" not in os.environ if color is None else color
        self._open: str | None = None  # "partial" or the id of a suggestion being streamed
        self._stream_col = 0
        self._stream_rows = 0  # lines the streaming suggestion has wrapped onto

    def _c(self, style: str, text: str) -> str:
        return f"\x1b[{COLORS[style]}m{text}\x1b[0m" if self.color else text

    def _close_open_line(self) -> None:
        """Clear what is being drawn in place: a partial, or a suggestion still streaming
        (it is printed whole when done, so it is never seen cut off and then again)."""
        if self._open == "partial":
            self.out.write("\r\x1b[K")
        elif self._open is not None:
            up = f"\x1b[{self._stream_rows}A" if self._stream_rows else ""
            self.out.write(f"{up}\r\x1b[J")
        self._open = None

    def _line(self, text: str) -> None:
        self._close_open_line()
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _on_CallStarted(self, e: CallStarted) -> None:
        self._line(self._c("bold", f"── call {e.call_id} · {e.title or 'live call'} ──"))

    def _on_TranscriptPartial(self, e: TranscriptPartial) -> None:
        if not self.live or (self._open not in (None, "partial")):
            return
        text = f"[{clock(e.start)}] {e.leg.upper():<9}{e.text} …"
        # A pseudo-terminal may report no width at all; a partial must still fit one line.
        width = os.get_terminal_size(self.out.fileno()).columns or 100
        self.out.write("\r\x1b[K" + self._c("dim", text[: width - 1]))
        self.out.flush()
        self._open = "partial"

    def _on_TranscriptFinal(self, e: TranscriptFinal) -> None:
        speaker = self._c(e.leg, f"{e.leg.upper():<9}")
        body = textwrap.fill(e.text, width=88, initial_indent="", subsequent_indent=" " * 19)
        self._line(f"[{clock(e.start)}] {speaker}{body}")

    def _on_SuggestionStarted(self, e: SuggestionStarted) -> None:
        if not self.live:
            return  # printed whole when done: a log or a pipe cannot redraw a line
        self._close_open_line()
        label = self._c(e.kind, f"{ICONS[e.kind]} {e.kind}")
        self.out.write(f"{INDENT}{label}  ")
        self._open = e.suggestion_id
        self._stream_col = len(INDENT) + len(e.kind) + 5
        self._stream_rows = 0
        self.out.flush()

    def _on_SuggestionToken(self, e: SuggestionToken) -> None:
        if self._open != e.suggestion_id:
            return  # its line was interrupted; the whole message is printed when done
        if self._stream_col + len(e.text) > 100:
            self.out.write("\n" + INDENT + " " * 13)
            self._stream_col = len(INDENT) + 13
            self._stream_rows += 1
            text = e.text.lstrip()
        else:
            text = e.text
        self.out.write(text)
        self._stream_col += len(text)
        self.out.flush()

    def _on_SuggestionDone(self, e: SuggestionDone) -> None:
        if self._open == e.suggestion_id:
            self.out.write("\n")
            self._open = None
            self.out.flush()
        else:
            label = self._c(e.kind, f"{ICONS[e.kind]} {e.kind}")
            body = textwrap.fill(e.message, width=100 - len(INDENT) - 13,
                                 subsequent_indent=INDENT + " " * 13)
            self._line(f"{INDENT}{label}  {body}")

    def _on_CustomerContext(self, e: CustomerContext) -> None:
        if e.customer is None:
            return
        c = e.customer
        rows = [f"{c['name']} · account #{c['account_number']} · {c['tier']} tier · "
                f"customer since {c['created_at'][:7]} · lifetime value ${c['lifetime_value']:,.2f}"]
        if e.orders:
            rows.append("orders: " + " · ".join(
                f"#{o['order_number']} {o['product_name']} ({o['status']})" for o in e.orders[:3]))
        open_tickets = [t for t in e.tickets if t["status"] in ("open", "pending")]
        if open_tickets:
            rows.append("open tickets: " + " · ".join(
                f"{t['ticket_number']} {t['subject']}" for t in open_tickets[:3]))
        if e.notes:
            rows.append("notes: " + " ".join(n["text"] for n in e.notes[:2]))
        box = [INDENT + self._c("bold", "┌ customer record (DuckDB)")]
        box += [INDENT + "│ " + line for row in rows
                for line in textwrap.wrap(row, 86, subsequent_indent="  ")]
        box.append(INDENT + "└" + "─" * 40)
        self._line("\n".join(box))

    def _on_CallEnded(self, e: CallEnded) -> None:
        self._line(self._c("bold", f"── call {e.status} after {clock(e.duration_s)} ──"))

    def _on_CallSummary(self, e: CallSummary) -> None:
        lines = [self._c("bold", "Summary")]
        lines += textwrap.wrap(e.text, 96, initial_indent="  ", subsequent_indent="  ")
        self._line("\n".join(lines))
