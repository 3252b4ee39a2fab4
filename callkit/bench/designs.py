"""``callkit bench designs``: why the STT stage is built the way it is, measured.

The same recordings (a folder with reference text), the same model and the same pacing go
through several ways of building the stage, one after another in one run:

(a) ``batching``: fixed batches of a few seconds, the seed's "transcription batching";
(b) ``whole_turn``: VAD turns, and every partial re-decodes the whole turn so far;
(c) ``before``: the stage before the speed work: partials decode only what is not yet
    committed, every decode reads whisper's 30 s window, and the final is decoded once the
    silence has ended the turn;
(d) ``main``: the stage as configured (by default: (c), with partials read in a window
    fitted to them, and the final decoded ahead, during the silence that may end the turn);
(e) ``short_window``: (d) with finals too read in a window fitted to them (opt-in).

Each gets word error, latency (the same marks as a call: speech end → final, speech start →
first text on screen) and decoding cost per second of audio, with the ratio to ``main``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..rtc.sources import read_audio
from ..stt.transcriber import Transcriber
from .batching import FixedBatchTranscriber
from .stt_eval import CHANNELS, StageFactory, evaluate_channels, find_pairs, suffixed

FIGURES = ("wer", "speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
           "speech_start_to_first_partial_p50_s", "rtf")


@dataclass(frozen=True)
class Design:
    name: str
    what: str
    make_stage: StageFactory
    settings: dict[str, Any] = field(default_factory=dict)  # overrides of the configured ones


BEFORE = {"stt_window_s": 30.0, "stt_partial_window_s": 30.0, "stt_decode_ahead": False}


def designs(batch_s: float) -> list[Design]:
    return [
        Design("batching", f"(a) fixed {batch_s:g} s batches, no partials",
               partial(FixedBatchTranscriber, batch_s=batch_s), BEFORE),
        Design("whole_turn", "(b) each partial re-decodes the whole turn",
               partial(Transcriber, commit_margin_s=math.inf), BEFORE),
        Design("before", "(c) before: 30 s window, final decoded after the silence",
               Transcriber, BEFORE),
        Design("main", "(d) main as configured", Transcriber),
        Design("short_window", "(e) main + finals in a fitted window (opt-in)", Transcriber,
               {"stt_window_s": 10.0, "stt_partial_window_s": 10.0, "stt_decode_ahead": True}),
    ]


def pick(batch_s: float, names: list[str] | None) -> list[Design]:
    every = designs(batch_s)
    if not names:
        return every
    known = {d.name for d in every}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown design {unknown[0]!r}: use some of {', '.join(known)}")
    if "main" not in names:
        names = [*names, "main"]  # the ratios are to main
    return [d for d in every if d.name in names]


async def bench(folder: Path, settings: Settings, chosen: list[Design], *,
                channels: tuple[str, ...] = CHANNELS, speed: float = 1.0,
                progress: bool = True) -> dict:
    from ..stt.engines import shared_recognizer

    pairs = find_pairs(folder)
    warm = (await asyncio.to_thread(read_audio, pairs[0][0], 16000))[:3 * 16000]
    warm = warm.astype(np.float32) / 32768.0
    rows: list[dict] = []
    whole: dict[str, float] = {}
    for design in chosen:
        config = settings.replace(**design.settings)
        recognizer = await asyncio.to_thread(shared_recognizer, config)  # a first use loads it
        # A first decode pays one-time costs; no design should carry them in its figures.
        await recognizer.transcribe_async(warm, 0.0, config.stt_prompt)
        result = await evaluate_channels(folder, config, recognizer, channels=channels,
                                         speed=speed, progress=progress,
                                         make_stage=design.make_stage,
                                         label=f"bench designs: {design.name}")
        for row in result["channels"]:
            rows.append({"design": design.name, "what": design.what, **row})
            if design.name == "main":
                whole[row["channel"]] = row["wer_whole_file"]
    rows += [{"design": "whole_file", "what": "each file decoded at once (no streaming)",
              "channel": channel, "wer": wer} for channel, wer in whole.items()]
    add_ratios(rows)
    return {"rows": rows, "summary": summary_of(rows),
            "settings": {"model": settings.stt_model, "beam_size": settings.stt_beam_size,
                         "speed": speed, "channels": list(channels), "folder": str(folder),
                         "endpoint_silence_s": settings.endpoint_silence_s,
                         "partial_interval_s": settings.partial_interval_s}}


def add_ratios(rows: list[dict]) -> None:
    """``p50_vs_main`` and ``wer_vs_main``: each design's figure over main's, same channel."""
    main = {r["channel"]: r for r in rows if r["design"] == "main"}
    for row in rows:
        ref = main.get(row["channel"], {})
        for key, figure in (("p50_vs_main", "speech_end_to_final_p50_s"),
                            ("wer_vs_main", "wer")):
            if row.get(figure) is not None and ref.get(figure):
                row[key] = round(row[figure] / ref[figure], 2)


def summary_of(rows: list[dict]) -> dict[str, float]:
    """DESIGN.md's names, prefixed by the design; ``_phone`` for the telephone copy."""
    out: dict[str, float] = {}
    for row in rows:
        suffix = "" if row["channel"] == "wide" else f"_{row['channel']}"
        for figure in FIGURES:
            if row.get(figure) is None:
                continue
            out[suffixed(f"{row['design']}_{figure}", suffix)] = row[figure]
    return out


def run_bench(folder: Path, settings: Settings, chosen: list[Design], *,
              channels: tuple[str, ...], speed: float, progress: bool) -> dict:
    return asyncio.run(bench(folder, settings, chosen, channels=channels, speed=speed,
                             progress=progress))
