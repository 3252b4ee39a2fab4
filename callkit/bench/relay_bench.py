"""Mouth-to-ear through the kernel: two real aiortc parties on one call, each hearing the other.

Each party is a peer like a browser's: it sends a recorded voice and plays (here: records)
what comes back. What a party sent is found in what the other received by cross-correlation,
window by window; a window's delay is when its first frame arrived minus when the matching
sent audio left the sender. This covers everything between a mouth and an ear on loopback:
Opus both ways, the kernel's capture, the relay's buffer and pacing.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from ..rtc.peer import close_pc, hear_at_once
from ..rtc.sources import RATE, RecordedTrack
from ..rtc.relay import ToEar

DECIMATE = 6           # correlate at 8 kHz: plenty for speech, 36× less work
WINDOW_S = 0.5         # one delay reading per half second that carries sound
MATCH = 0.6            # normalized correlation above which a window is "the same audio"


class Party:
    """A browser-like peer: sends ``track``, keeps every frame it hears with its arrival time."""

    def __init__(self, track: RecordedTrack):
        self.track = track
        self.pc = RTCPeerConnection()
        self.pc.addTrack(track)  # sendrecv, as a browser's microphone track
        self.heard: list[tuple[float, np.ndarray]] = []
        self._reader: asyncio.Task | None = None
        self._to_samples = ToEar()

        @self.pc.on("track")
        def _on_track(remote) -> None:
            self._reader = asyncio.ensure_future(self._read(remote))

    async def _read(self, remote) -> None:
        while True:
            try:
                frame = await remote.recv()
            except MediaStreamError:
                return
            self.heard.append((time.monotonic(), self._to_samples(frame)))

    async def offer(self):
        from ..rtc.ice import loopback_only

        with loopback_only(True):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription

    async def accept(self, answer) -> None:
        await self.pc.setRemoteDescription(answer)
        hear_at_once(self.pc)  # as a browser's ear on loopback: no fixed hold-back

    async def join(self, call, leg: str) -> None:
        """Join ``call`` in this process (the kernel's own API, no HTTP)."""
        await self.accept(await call.answer(leg, await self.offer()))

    def received(self) -> tuple[np.ndarray, np.ndarray]:
        """All samples heard, and the arrival time of each sample's frame."""
        if not self.heard:
            return np.zeros(0, np.int16), np.zeros(0)
        samples = np.concatenate([s for _, s in self.heard])
        times = np.concatenate([np.full(len(s), t) for t, s in self.heard])
        return samples, times

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await close_pc(self.pc)


def _norm(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x - x.mean()


def delays(sent: np.ndarray, started_at: float, received: np.ndarray,
           arrivals: np.ndarray) -> list[tuple[float, float]]:
    """(delay_s, match) for each received window that carries sound: where in ``sent`` it
    came from (cross-correlation), and how long after leaving the sender it arrived."""
    step = int(WINDOW_S * RATE)
    sent = _norm(sent[::DECIMATE])
    width = len(range(0, step, DECIMATE))  # samples in a decimated window
    out: list[tuple[float, float]] = []
    if len(sent) < width:
        return out
    # Each window is searched in all that was sent: the two streams start at different
    # moments and the relay may drop audio to stay short, so their offset is not known
    # beforehand. What depends on ``sent`` alone is computed once.
    n = len(sent) + width
    sent_spectrum = np.fft.rfft(sent, n)
    sq = np.concatenate([[0.0], np.cumsum(sent ** 2)])
    sent_energy = np.sqrt(sq[width:] - sq[:-width]) + 1e-9
    for start in range(0, len(received) - step, step):
        window = _norm(received[start:start + step:DECIMATE])
        if np.sqrt(np.mean(window ** 2)) < 300:  # silence: nothing to find
            continue
        corr = np.fft.irfft(sent_spectrum * np.conj(np.fft.rfft(window, n)), n)
        scores = corr[:len(sent) - width + 1] / (sent_energy * np.sqrt(np.sum(window ** 2))
                                                 + 1e-9)
        best = int(np.argmax(scores))
        out.append((float(arrivals[start] - (started_at + best * DECIMATE / RATE)),
                    float(scores[best])))
    return out


async def join_over_http(party: Party, session, url: str, token: str, call_id: str,
                         leg: str) -> None:
    """Join a call the way a browser does: the offer goes to the call server's /offer."""
    from aiortc import RTCSessionDescription

    offer = await party.offer()
    async with session.post(f"{url}/offer", headers={"X-Callkit-Token": token}, json={
            "call": call_id, "leg": leg, "sdp": offer.sdp, "type": "offer"}) as resp:
        body = await resp.json()
        if resp.status != 200:
            raise RuntimeError(f"/offer refused the {leg} leg: {body}")
    await party.accept(RTCSessionDescription(sdp=body["sdp"], type="answer"))


async def talk(url: str, token: str, call_ids: list[str], seconds: float) -> list[dict]:
    """Two parties on each call, both talking at once; (delay, match) windows per call."""
    import aiohttp

    from ..recordings import load_recording
    from ..rtc.sources import read_audio

    recording = load_recording("sarah_order")
    n, agent_from = int(seconds * RATE), int(recording.turns[1]["start_s"] * RATE)
    customer_voice = read_audio(recording.legs["customer"])[:n]
    agent_voice = read_audio(recording.legs["agent"])[agent_from:agent_from + n]

    async def one(session, call_id: str) -> dict:
        customer, agent = Party(RecordedTrack(customer_voice)), Party(RecordedTrack(agent_voice))
        try:
            await join_over_http(customer, session, url, token, call_id, "customer")
            await join_over_http(agent, session, url, token, call_id, "agent")
            async with asyncio.timeout(seconds + 30):
                await asyncio.gather(customer.track.finished.wait(), agent.track.finished.wait())
            await asyncio.sleep(0.5)  # the last frames on their way
            found = [*delays(customer.track.samples, customer.track.started_at,
                             *agent.received()),
                     *delays(agent.track.samples, agent.track.started_at, *customer.received())]
        finally:
            await asyncio.gather(customer.close(), agent.close(), return_exceptions=True)
        return {"delays": [d for d, m in found if m > MATCH], "windows": len(found)}

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(one(session, c) for c in call_ids))


async def run_level(center, calls: int, seconds: float) -> dict:
    """``calls`` calls in this process (the kernel: relay, whisper, assistant, DuckDB); their
    parties in another one, as browsers would be, so the kernel's loop carries only its own
    work. Both processes read the same monotonic clock, so the parties' process measures."""
    import json
    import sys

    from ..metrics import percentile
    from ..server import CallServer

    import resource
    import time

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cpu, parties_cpu, wall = time.process_time(), children_cpu(), time.monotonic()
    async with CallServer(center) as server:
        live = [center.start_call(title=f"bench: mouth to ear {i + 1}") for i in range(calls)]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callkit.bench.relay_bench", server.url, server.token,
            str(seconds), *(c.call_id for c in live), stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        wall = time.monotonic() - wall
        cpu, parties_cpu = time.process_time() - cpu, children_cpu() - parties_cpu
        await asyncio.gather(*(c.end() for c in live))
    if proc.returncode != 0:
        raise RuntimeError(f"the parties' process failed ({proc.returncode})")
    results = json.loads(out)
    found = [d for r in results for d in r["delays"]]
    windows = sum(r["windows"] for r in results)
    # Cores each process used: one asyncio loop is one core at most, so a process near 1.0
    # is saturated and its frames come late or not at all (the relay then drops audio to
    # stay live, and fewer windows match).
    return {"calls": calls,
            "mouth_to_ear_p50_s": round(percentile(found, 50), 4) if found else None,
            "mouth_to_ear_p95_s": round(percentile(found, 95), 4) if found else None,
            "matched_windows": f"{len(found)}/{windows}",
            # Below ~90%, the relay dropped audio to stay live: the parties heard gaps.
            "mouth_to_ear_matched_pct": round(100 * len(found) / windows, 1) if windows else None,
            "kernel_cores": round(cpu / wall, 2), "parties_cores": round(parties_cpu / wall, 2)}


def summary_of(rows: list[dict]) -> dict[str, float]:
    from .report import summary_by_count

    return summary_by_count(rows, "calls", "calls", (
        "mouth_to_ear_p50_s", "mouth_to_ear_p95_s", "mouth_to_ear_matched_pct"))


if __name__ == "__main__":  # the parties' process: URL, token, seconds, call ids
    import json
    import sys

    url, token, seconds, *ids = sys.argv[1:]
    print(json.dumps(asyncio.run(talk(url, token, ids, float(seconds)))))
