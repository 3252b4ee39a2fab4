"""Jupyter widgets (anywidget). Their ES modules and CSS live in the top-level widgets/ folder
and ship inside the wheel; nothing here knows a line of JavaScript.

``Phone(call, leg)`` connects this browser's microphone to a leg of a call running in the
kernel. Signaling rides on the widget's own comm (``model.send`` / ``msg:custom``): no extra
server, no open port. Level readings go to the browser as binary buffers.
"""

from __future__ import annotations

import asyncio
import logging

import anywidget
import numpy as np
import traitlets
from aiortc import RTCSessionDescription

from .assets import asset, esm
from .call import Call, CallClosed
from .widget_requests import request_kind
from .events import (AudioLevel, CallEnded, Event, LegConnected, LegDropped, LegMuted,
                     TranscriptFinal, TranscriptPartial)

log = logging.getLogger(__name__)


class Phone(anywidget.AnyWidget):
    """A microphone leg of ``call``: connection state, waveforms, mute, live transcript."""

    _esm = esm("levels.js", "leg_client.js", "phone.js")
    _css = asset("phone.css")

    leg = traitlets.Unicode("agent").tag(sync=True)
    call_id = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Unicode("idle").tag(sync=True)
    muted = traitlets.Bool(False).tag(sync=True)

    def __init__(self, call: Call, leg: str = "agent", **kwargs):
        if leg not in ("customer", "agent"):
            raise ValueError("leg must be 'customer' or 'agent'")
        try:
            # The kernel's loop, where the call lives. Comm messages may be handled on
            # another thread with a loop of its own (ipykernel 7 subshells), so everything
            # they trigger is handed over to this loop.
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("Phone needs a running asyncio loop: create it in a notebook "
                               "cell") from None
        super().__init__(leg=leg, call_id=call.call_id, **kwargs)
        self.call = call
        self._tasks: set[asyncio.Task] = set()
        self._subscription = call.subscribe(
            self._on_event, AudioLevel, TranscriptPartial, TranscriptFinal, LegConnected,
            LegDropped, LegMuted, CallEnded, name=f"phone:{leg}")
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        # No object address or model id: notebook outputs stay the same run to run (nbval).
        # This text is what shows where no browser renders the widget (a headless run, a
        # terminal): say so rather than leave a reader waiting for a microphone.
        return (f"Phone(leg={self.leg!r}, state={self.state!r}) · the microphone needs this "
                "notebook open in JupyterLab; headless, nothing connects and nothing waits")

    def _on_loop(self, fn, *args) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def _spawn(self, make_coro) -> None:
        """Run ``make_coro()`` as a task on the kernel's loop (from any thread)."""
        def start() -> None:
            task = self._loop.create_task(make_coro())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._on_loop(start)

    def _on_msg(self, _widget, content: dict, _buffers) -> None:
        try:
            kind = request_kind(content)
            if kind not in ("offer", "hangup"):
                raise ValueError(f"unknown request {kind[:40]!r}")
        except ValueError as exc:  # shown in the widget; the kernel carries on
            log.warning("phone request refused: %s", exc)
            self.send({"kind": "error", "message": str(exc), "final": False})
            return
        if kind == "offer":
            self._spawn(lambda: self._answer(content))
        else:  # Hang up / End call: the call ends, as completed
            self._spawn(lambda: self.call.hang_up(self.leg))

    async def _answer(self, content: dict) -> None:
        try:
            sdp = content.get("sdp")
            if not isinstance(sdp, str):
                raise ValueError("the offer has no SDP")  # its size: peer.check_offer
            answer = await self.call.answer(self.leg, RTCSessionDescription(sdp=sdp, type="offer"),
                                            rejoin=bool(content.get("rejoin")))
        except Exception as exc:  # shown in the widget; the kernel carries on
            log.warning("offer for the %s leg refused: %s", self.leg, exc)
            self.send({"kind": "error", "message": str(exc)[:300],
                       "final": isinstance(exc, CallClosed)})  # no use retrying
            return
        self.send({"kind": "answer", "sdp": answer.sdp, "type": answer.type})

    @traitlets.observe("muted")
    def _mute_changed(self, change) -> None:
        self._on_loop(self._apply_mute, bool(change["new"]))

    def _apply_mute(self, muted: bool) -> None:
        if self.leg in self.call.legs:
            self.call.set_muted(self.leg, muted)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, AudioLevel):
            levels = np.array([event.rms, event.peak], dtype=np.float32)
            self.send({"kind": "level", "leg": event.leg}, buffers=[levels.tobytes()])
        elif isinstance(event, (TranscriptPartial, TranscriptFinal)):
            self.send({"kind": "transcript", "leg": event.leg, "turn": event.turn,
                       "text": event.text, "start": event.start,
                       "final": isinstance(event, TranscriptFinal)})
        elif isinstance(event, LegConnected):
            self.send({"kind": "leg", "leg": event.leg, "state": "connected"})
        elif isinstance(event, LegDropped):
            self.send({"kind": "leg", "leg": event.leg, "state": "dropped"})
        elif isinstance(event, LegMuted):
            self.send({"kind": "leg", "leg": event.leg,
                       "state": "muted" if event.muted else "connected"})
        elif isinstance(event, CallEnded):
            self.send({"kind": "leg", "leg": self.leg, "state": "ended", "reason": event.reason})

    def close(self) -> None:
        """Closing the widget hangs up its leg (peer, capture) and stops its tasks and its
        subscription; the call itself goes on until it is ended."""
        loop = getattr(self, "_loop", None)  # None when __init__ failed before setting it
        if loop is not None and not loop.is_closed():
            self._on_loop(self._hang_up)
        super().close()

    def _hang_up(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.call.status == "active":
            self._spawn(self._leave)

    async def _leave(self) -> None:
        await self.call.leave(self.leg)
        await self.call.bus.unsubscribe(self._subscription)
