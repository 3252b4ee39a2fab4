"""``callkit bench assistant``: final transcript → first suggestion token and → suggestion done.

The customer and agent turns of the recorded call scripts are published as finals, one at a
time, to the assistant stage over a real seeded DuckDB: with the rules engine; with the
OpenAI engine against a local server that streams a scripted answer (one tool call, then the
suggestion) over real HTTP, so those two rows compare the engines' own overhead; and (``local``)
with the real local model, warmed up first, hybrid as it runs by default, whose own answer
is timed apart (``final_to_first_model_token``, ``final_to_model_done``). Each turn waits for
the model's answer before the next (no turn cancels another).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from ..assistant.stage import Assistant
from ..bus import Bus
from ..config import Settings
from ..events import CallEnded, LatencyMark, SuggestionDone, TranscriptFinal
from ..metrics import LatencyTracker
from ..recordings import list_recordings, load_recording
from ..store.db import Database
from ..store.seed import seed
from .openai_stub import FakeOpenAIServer, Scenario, content_chunks, tool_call_chunks

# Distinct answers: the suggestion policy drops a repeated one as a duplicate, and the bench
# measures the suggestions that reach the agent.
STUB_MESSAGES = (
    "Confirm the order number, then read the status, carrier and ETA from the lookup.",
    "Offer to e-mail the tracking link so the customer can follow the parcel themselves.",
    "Ask whether anything else on the account needs attention before closing the call.",
    "Thank the customer for their patience and summarize what happens next and when.",
)


def stub_answer(message: str) -> str:
    return json.dumps({"type": "suggestion", "priority": "normal", "topic": "order_status",
                       "message": message})


ENGINES = ("rules", "openai", "local")


async def run_engine(engine: str, db: Database, rounds: int, base_url: str = "",
                     token: str = "") -> dict:
    # The stub's row is the model's own path ("model" mode): its first token is the model's.
    settings = Settings(assistant_engine=engine, token_delay_s=0.0, openai_base_url=base_url,
                        openai_api_key=token, suggestion_cooldown_s=0.0,
                        suggestion_min_gap_s=0.0, suggestions_per_minute=1000,
                        assistant_mode="model" if engine == "openai" else "hybrid")
    if engine == "local":  # loading and the prompt's warm-up are not a turn's latency
        warm = Assistant("bench-warm-up", settings, db.run, lambda e: None)
        await warm.engine.connect()
        await warm.aclose()
    tracker = LatencyTracker()
    shown = 0
    turns = 0
    for r in range(rounds):
        for name in list_recordings():
            call_id = f"bench-{engine}-{r}-{name}"
            bus = Bus()
            assistant = Assistant(call_id, settings, db.run, bus.publish)
            done: list[SuggestionDone] = []
            bus.subscribe(assistant.handle, TranscriptFinal, CallEnded)
            bus.subscribe(tracker, LatencyMark)
            bus.subscribe(done.append, SuggestionDone)
            for i, turn in enumerate(load_recording(name).turns):
                final = TranscriptFinal(call_id=call_id, leg=turn["speaker"], turn=i + 1,
                                        text=turn["text"], start=turn["start_s"],
                                        end=turn["end_s"])
                bus.publish(LatencyMark(call_id=call_id, leg=final.leg, turn=final.turn,
                                        name="final", wall=final.wall))
                bus.publish(final)
                await bus.drain()
                await assistant.settle()
                await bus.drain()
                turns += 1
            await bus.close()
            await assistant.aclose()
            shown += len(done)
    return {"engine": engine, "turns": turns, "suggestions": shown, **tracker.summary()}


async def bench(rounds: int, engines: tuple[str, ...] = ("rules", "openai")) -> list[dict]:
    # Each customer turn of the OpenAI engine: a tool call round, then the streamed answer.
    lookup = Scenario(chunks=tool_call_chunks("c1", "get_order_status", '{"order_id": "78901"}'))
    server = FakeOpenAIServer(cycle=[step for message in STUB_MESSAGES for step in (
        lookup, Scenario(chunks=content_chunks(stub_answer(message), size=6)))])
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.duckdb")
        try:
            await db.run(lambda con: seed(con))
            await server.start()
            return [await run_engine(engine, db, rounds, server.base_url, server.token)
                    for engine in engines]
        finally:
            await server.close()
            db.close()


def run_bench(rounds: int, engines: tuple[str, ...] = ("rules", "openai")) -> list[dict]:
    return asyncio.run(bench(rounds, engines))


def summary_of(rows: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in rows:
        for key in ("final_to_first_token_p50_s", "final_to_first_token_p95_s",
                    "final_to_suggestion_done_p50_s", "final_to_suggestion_done_p95_s",
                    "final_to_first_model_token_p50_s", "final_to_first_model_token_p95_s",
                    "final_to_model_done_p50_s", "final_to_model_done_p95_s"):
            if key in row:
                name = key if row["engine"] == "rules" else key.replace(
                    "final_to", f"{row['engine']}_final_to", 1)
                out[name] = row[key]
    return out
