"""``callkit bench batch``: what whisper would gain from decoding several legs' turns at once.

When finals from several legs wait together (8 calls at once), they could go through the
model as one batch instead of one after another. This measures the model alone, on the same
windows of real speech, batch after batch: the encoder (the log-mel window → audio features)
and greedy decoding of the text, each per item, and the throughput against one at a time.
faster-whisper's ``transcribe`` takes one audio at a time, so batching would mean decoding
turns outside it (its word timestamps and segment loop included); this says whether that is
worth it before anyone writes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..config import Settings
from ..rtc.sources import read_audio
from ..stt.models import model_path
from .report import median_time

RATE = 16000
FULL_WINDOW_S = 30.0


def speech_windows(folder: Path, window_s: float, count: int) -> list[np.ndarray]:
    """``count`` windows of ``window_s`` from the speech files in ``folder`` (zero-padded, as
    whisper pads a turn), repeating the files if there are fewer."""
    files = sorted(p for p in folder.iterdir() if p.suffix in (".wav", ".flac"))
    if not files:
        raise FileNotFoundError(f"no .wav or .flac speech files in {folder}")
    size = int(window_s * RATE)
    out = []
    for i in range(count):
        audio = read_audio(files[i % len(files)], RATE)[:size].astype(np.float32) / 32768
        out.append(np.pad(audio, (0, size - len(audio))))
    return out


def run_bench(folder: Path, settings: Settings, sizes: list[int], window_s: float = 30.0,
              repeat: int = 3, max_tokens: int = 60) -> list[dict]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ctranslate2
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

    if not 1.0 <= window_s <= FULL_WINDOW_S:
        raise ValueError(f"--window must be within 1..{FULL_WINDOW_S:g} s")
    if repeat < 1:
        raise ValueError("--repeat must be at least 1")
    model = WhisperModel(str(model_path(settings.stt_model)), device="cpu",
                         compute_type="int8", cpu_threads=settings.stt_threads)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                          language="en")
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    windows = speech_windows(folder, window_s, max(sizes))
    frames = int(window_s * 100)
    features = [model.feature_extractor(w)[:, :frames] for w in windows]
    rows = []
    for n in sizes:
        batch = ctranslate2.StorageView.from_array(np.stack(features[:n]).astype(np.float32))
        last: dict = {}  # each step's latest output: the encoder's feeds the decoder

        def encode() -> None:
            last["encoded"] = model.model.encode(batch, to_cpu=False)

        def decode() -> None:
            last["decoded"] = model.model.generate(last["encoded"], [prompt] * n, beam_size=1,
                                                   max_length=max_tokens)

        encode_s = median_time(encode, repeat)
        generate_s = median_time(decode, repeat)
        tokens = sum(len(r.sequences_ids[0]) for r in last["decoded"])
        rows.append({"batch": n, "window_s": window_s,
                     # per item: a batch's time over its size
                     "encode_ms": round(1000 * encode_s / n, 1),
                     "decode_ms": round(1000 * generate_s / n, 1),
                     "tokens": round(tokens / n, 1),
                     "total_ms": round(1000 * (encode_s + generate_s) / n, 1)})
    one = next((r for r in rows if r["batch"] == 1), rows[0])
    for row in rows:
        for part in ("encode", "decode", "total"):
            row[f"{part}_speedup"] = round(one[f"{part}_ms"] / row[f"{part}_ms"], 2)
    return rows


def summary_of(rows: list[dict]) -> dict[str, float]:
    from .report import summary_by_count

    figures = summary_by_count(rows, "batch", "batch", ("encode_ms", "decode_ms", "total_speedup"))
    return {f"whisper_{k}": v for k, v in figures.items()}
