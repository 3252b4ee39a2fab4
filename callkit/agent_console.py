"""The agent's console: one widget for a whole call, and each of its parts on its own.

``AgentConsole(call)`` shows the call bar (state, timer, mute, end call, a waveform and a
silence light per leg), the live transcript (flag a line, search), the suggestion cards as they
stream (Use / Dismiss), the customer panel, quick actions and quick responses, and the summary.
``CallBar``, ``Transcript``, ``Suggestions``, ``CustomerPanel``, ``QuickActions`` and
``SummaryCard`` are the same widget showing one part, for the phase notebooks.

The console follows the call's journal, not the bus: every event reaches the browser with its
journal number, so a view that comes back (a page reload, a second view of the same widget)
asks for everything from the start and rebuilds exactly what was shown, nothing lost or
doubled. The kernel never waits on the browser; the browser batches updates per frame.
Nothing in the back end knows this widget exists: it reads the journal and calls the call's
public methods (``feedback``, ``act``, ``flag``, ``pick_customer``, ``set_muted``, ``hang_up``).
"""

from __future__ import annotations

import asyncio
import logging

import anywidget
import numpy as np
import traitlets

from .call import Call
from .events import AudioLevel, to_json
from .assets import asset, esm
from .widget_requests import REFUSED, integer, request_kind, strings, text

log = logging.getLogger(__name__)
# The quick-action buttons, labelled as in the exercise's agent view.
ACTION_BUTTONS = {"discount_10": "Apply 10% Discount", "waive_fee": "Waive Fee",
                  "escalate": "Escalate", "callback": "Schedule Callback"}
PARTS = ("bar", "transcript", "suggestions", "customer", "actions", "summary")
BATCH = 200        # events per message while a view catches up
FLUSH_S = 0.05     # how often new events go to the browser
LEVELS_KEPT = 240  # level readings in a snapshot: the last 6 s of both legs at 20 Hz
NOTE_LONGEST = 2000  # characters of a flag's note or a quick response


class AgentConsole(anywidget.AnyWidget):
    _esm = esm("levels.js", "agent_console.js")
    _css = asset("agent_console.css")

    call_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    parts = traitlets.List(traitlets.Unicode(), list(PARTS)).tag(sync=True)
    actions = traitlets.Dict({}).tag(sync=True)

    def __init__(self, call: Call, *, parts: tuple[str, ...] = PARTS, **kwargs):
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown console parts {sorted(unknown)}: use {', '.join(PARTS)}")
        try:
            self._loop = asyncio.get_running_loop()  # where the call lives (see Phone)
        except RuntimeError:
            raise RuntimeError(f"{type(self).__name__} needs a running asyncio loop: create it "
                               "in a notebook cell") from None
        super().__init__(call_id=call.call_id, title=call.title, parts=list(parts),
                         actions=ACTION_BUTTONS, **kwargs)
        self.call = call
        # Nothing is sent until a view has asked for the call (a front end that renders the
        # widget always does): a headless kernel (grading, nbval) then carries no traffic, and
        # iopub, which drops messages nobody reads, never loses the kernel's own.
        self._viewed = False
        self._follower = self._loop.create_task(self._follow(), name=f"console:{call.call_id}")
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        # No object address or model id: notebook outputs stay the same run to run (nbval).
        return f"{type(self).__name__}(parts={list(self.parts)!r})"

    async def _follow(self) -> None:
        """Send the new journal entries, with their numbers, at most every ``FLUSH_S``: one
        comm message per event would cost the kernel more than the call itself (levels alone
        are 40 a second), while a 50 ms batch still streams a suggestion word by word."""
        journal, after = self.call.journal, self.call.journal.last_id
        while True:
            await journal.wait(after, timeout=30.0)
            await asyncio.sleep(FLUSH_S)
            entries = journal.since(after)
            if entries:
                after = entries[-1][0]
                if self._viewed:
                    self._forward(entries, "events")
            elif journal.closed:
                return

    def _forward(self, entries, kind: str) -> None:
        """``events`` are applied on top of what a view shows; a ``snapshot`` (the whole call
        so far, for a view that (re)builds itself) replaces it. Levels go as binary, and a
        snapshot carries only the last few seconds of them (what a waveform shows)."""
        levels = [(n, e) for n, e in entries if isinstance(e, AudioLevel)]
        if kind == "snapshot":
            levels = levels[-LEVELS_KEPT:]
        events = [{"id": n, **to_json(e)} for n, e in entries if not isinstance(e, AudioLevel)]
        for start in range(0, len(events) if kind == "events" else max(len(events), 1), BATCH):
            self.send({"kind": kind if start == 0 else "events",
                       "events": events[start:start + BATCH]})
        if levels:  # one binary message: (journal number, rms, peak, t) per reading
            readings = np.array([(n, e.rms, e.peak, e.t) for n, e in levels], dtype=np.float64)
            self.send({"kind": "levels", "legs": [e.leg for _, e in levels]},
                      buffers=[readings.tobytes()])

    def _on_msg(self, _widget, content: dict, _buffers) -> None:
        # Comm messages may arrive on another thread (ipykernel 7 subshells): hand them over.
        self._loop.call_soon_threadsafe(self._handle, content)

    def _handle(self, content: dict) -> None:
        kind = None
        try:
            kind = request_kind(content)
            if kind == "sync":  # a view (re)built itself: send it the whole call so far
                self._viewed = True
                self._forward(self.call.journal.since(0), "snapshot")
            elif kind == "shown":  # cards whose first words a view just painted
                for suggestion_id in strings(content, "ids", BATCH):
                    self.call.suggestion_shown(suggestion_id)
            elif kind == "feedback":
                self.call.feedback(text(content, "id"), text(content, "action"))
            elif kind == "action":
                self.call.act(text(content, "action"), **_payload(content))
            elif kind == "pick":
                self.call.pick_customer(integer(content, "customer_id"))
            elif kind == "flag":
                self.call.flag(float(text(content, "at_s")), text(content, "text", NOTE_LONGEST))
            elif kind == "mute":
                self.call.set_muted(text(content, "leg"), bool(content.get("muted")))
            elif kind == "end":
                self._loop.create_task(self.call.hang_up("agent"))  # End call
            else:
                raise ValueError(f"unknown request {kind[:40]!r}")
        except REFUSED as exc:  # shown in the console; the kernel carries on
            log.warning("console request %r refused: %s", kind, exc)
            self.send({"kind": "error", "message": str(exc)[:300]})

    def close(self) -> None:
        """Stop following the call (the call goes on)."""
        follower = getattr(self, "_follower", None)
        if follower is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(follower.cancel)
        super().close()


def _payload(content: dict) -> dict:
    said = text(content, "text", NOTE_LONGEST)
    return {"text": said} if said else {}


def _part(name: str, part: str):
    def __init__(self, call: Call, **kwargs):
        AgentConsole.__init__(self, call, parts=(part,), **kwargs)
    return type(name, (AgentConsole,), {"__init__": __init__, "__doc__":
                                        f"The console's {part} part alone."})


CallBar = _part("CallBar", "bar")
Transcript = _part("Transcript", "transcript")
Suggestions = _part("Suggestions", "suggestions")
CustomerPanel = _part("CustomerPanel", "customer")
QuickActions = _part("QuickActions", "actions")
SummaryCard = _part("SummaryCard", "summary")
