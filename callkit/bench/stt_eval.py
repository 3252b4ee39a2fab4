"""``callkit eval stt``: word error rate and latency through the streaming STT path.

Every audio file in a folder that has a same-named ``.txt`` reference is streamed, in 20 ms
chunks, through the same stage a call uses (VAD endpointing, partials with committed segments,
finals); the finals are joined and scored with jiwer after whisper's English normalizer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import jiwer
import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

from ..bus import Bus
from ..config import Settings
from ..events import LatencyMark, TranscriptFinal, TranscriptPartial
from ..metrics import LatencyTracker
from ..rtc.sources import read_audio
from ..stt.transcriber import Transcriber
from ..stt.protocol import Recognizer
from .feed import feed_leg

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
_normalize = EnglishTextNormalizer()


@dataclass
class FileResult:
    name: str
    duration_s: float
    wer: float
    words: int
    substitutions: int
    deletions: int
    insertions: int
    partials: int
    finals: int
    reference: str
    hypothesis: str


@dataclass
class StreamResult:
    events: list[TranscriptPartial | TranscriptFinal]  # in the order they were published

    @property
    def finals(self) -> list[TranscriptFinal]:
        return [e for e in self.events if isinstance(e, TranscriptFinal)]

    @property
    def partials(self) -> list[TranscriptPartial]:
        return [e for e in self.events if isinstance(e, TranscriptPartial)]


def find_pairs(folder: Path) -> list[tuple[Path, Path]]:
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    pairs = [(p, p.with_suffix(".txt")) for p in sorted(folder.iterdir())
             if p.suffix.lower() in AUDIO_SUFFIXES and p.with_suffix(".txt").is_file()]
    if not pairs:
        raise FileNotFoundError(f"no audio file with a same-named .txt reference in {folder}")
    return pairs


async def stream_through_stt(samples: np.ndarray, settings: Settings,
                             recognizer: Recognizer, tracker: LatencyTracker,
                             speed: float, call_id: str = "eval") -> StreamResult:
    """Run 16 kHz mono float32 ``samples`` as the customer leg of a call's STT stage."""
    bus = Bus()
    result = StreamResult([])
    transcriber = Transcriber(call_id, settings, recognizer, bus.publish)
    bus.subscribe(transcriber.handle, name="stt")
    bus.subscribe(result.events.append, TranscriptFinal, TranscriptPartial, name="collect")
    bus.subscribe(tracker, LatencyMark, name="latency")
    try:
        await feed_leg(bus.publish, call_id, "customer", samples, speed)
        await bus.drain()
    finally:
        await transcriber.close()
        await bus.close()
    return result


def score(reference: str, hypothesis: str) -> jiwer.WordOutput:
    ref, hyp = _normalize(reference), _normalize(hypothesis)
    return jiwer.process_words(ref if ref.strip() else "<empty>", hyp)


async def evaluate(folder: Path, settings: Settings, recognizer: Recognizer, *,
                   speed: float = 1.0, progress: bool = True) -> dict:
    from tqdm import tqdm

    pairs = find_pairs(folder)
    tracker = LatencyTracker()
    files: list[FileResult] = []
    refs, hyps = [], []
    compute0 = recognizer.compute_s
    started = time.perf_counter()
    bar = tqdm(pairs, desc="eval stt", unit="file", disable=not progress)
    for i, (audio_path, text_path) in enumerate(bar):
        bar.set_postfix_str(audio_path.name)
        samples = read_audio(audio_path, 16000).astype(np.float32) / 32768.0
        stream = await stream_through_stt(samples, settings, recognizer, tracker, speed,
                                          call_id=f"eval-{i}")
        hypothesis = " ".join(f.text for f in stream.finals)
        reference = text_path.read_text().strip()
        out = score(reference, hypothesis)
        refs.append(_normalize(reference))
        hyps.append(_normalize(hypothesis))
        files.append(FileResult(
            name=audio_path.name, duration_s=round(len(samples) / 16000, 2), wer=round(out.wer, 4),
            words=out.hits + out.substitutions + out.deletions, substitutions=out.substitutions,
            deletions=out.deletions, insertions=out.insertions, partials=len(stream.partials),
            finals=len(stream.finals), reference=reference, hypothesis=hypothesis))
    total = jiwer.process_words(refs, hyps)
    audio_s = sum(f.duration_s for f in files)
    summary = {
        "wer": round(total.wer, 4),
        "files_n": len(files),
        "audio_s": round(audio_s, 2),
        "wall_s": round(time.perf_counter() - started, 2),
        # All decoding (partials included) per second of audio streamed.
        "rtf": round((recognizer.compute_s - compute0) / audio_s, 4) if audio_s else 0.0,
        **tracker.summary(),
    }
    return {"summary": summary, "files": [asdict(f) for f in files],
            "settings": {"model": settings.stt_model, "beam_size": settings.stt_beam_size,
                         "speed": speed, "endpoint_silence_s": settings.endpoint_silence_s}}


def run_eval(folder: Path, settings: Settings, speed: float, progress: bool) -> dict:
    from ..stt.engines import shared_recognizer

    recognizer = shared_recognizer(settings)
    return asyncio.run(evaluate(folder, settings, recognizer, speed=speed, progress=progress))
