"""``callkit bench call``: the seed's latency goal, end to end through every real part.

Recorded calls are played at real time through aiortc peers over loopback, the Silero VAD,
faster-whisper and the rules assistant, on a freshly seeded DuckDB file, exactly as
``callkit demo`` runs them. The figure is how long after a speaker stops the agent sees the
first word of a suggestion, with the two stages in between: speech end → final transcript
and final → first token. Suggestions that answered a partial, before the speaker stopped,
are counted apart (how many turns, and how long before the stop), so they do not flatter it.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from ..center import CallCenter
from ..config import Settings
from ..events import LatencyMark, SuggestionDone
from ..metrics import LatencyTracker
from ..recordings import load_recording
from ..store.seed import seed

COLUMNS = ("speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
           "final_to_first_token_p50_s", "final_to_first_token_p95_s",
           "speech_end_to_first_token_p50_s", "speech_end_to_first_token_p95_s",
           # Turns answered from a partial, before the speaker stopped (not in the above).
           "early_token_before_speech_end_n", "early_token_before_speech_end_p50_s")


async def bench(names: list[str], settings: Settings) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.replace(db_path=Path(tmp) / "bench.duckdb", ice="loopback",
                                    replay_speed=1.0)
        async with CallCenter(settings) as center:
            await center.db.run(lambda con: seed(con))
            rows, overall = [], LatencyTracker()
            for name in names:
                tracker = LatencyTracker()
                shown: list[SuggestionDone] = []

                def observe(event, tracker=tracker, shown=shown) -> None:
                    if isinstance(event, LatencyMark):
                        tracker(event)
                        overall(event)
                    elif isinstance(event, SuggestionDone):
                        shown.append(event)

                call = await center.replay(load_recording(name), observer=observe)
                rows.append({"call": name, "audio_s": round(call.duration_s, 1),
                             "suggestions": len(shown), **tracker.summary()})
            if len(rows) > 1:
                rows.append({"call": "all", "audio_s": round(sum(r["audio_s"] for r in rows), 1),
                             "suggestions": sum(r["suggestions"] for r in rows),
                             **overall.summary()})
            return rows


def run_bench(names: list[str], settings: Settings) -> list[dict]:
    return asyncio.run(bench(names, settings))


def summary_of(rows: list[dict]) -> dict[str, float]:
    total = rows[-1]
    return {key: total[key] for key in COLUMNS if key in total}
