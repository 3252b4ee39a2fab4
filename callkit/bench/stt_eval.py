"""``callkit eval stt``: word error rate and latency through the streaming STT path.

Every audio file in a folder that has a same-named ``.txt`` reference is streamed, in 20 ms
chunks, through the same stage a call uses (VAD endpointing, partials with committed segments,
finals); the finals are joined and scored with jiwer after whisper's English normalizer.

Side by side, in the same run and with the same model, each whole file is also decoded in one
piece: streaming should lose nothing to that. Both are measured on the folder as recorded and
on its telephone-channel copy (phone_channel.py), since calls arrive like that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import jiwer
import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

from ..bus import Bus
from ..config import Settings
from ..events import Event, LatencyMark, TranscriptFinal, TranscriptPartial
from ..metrics import LatencyTracker
from ..rtc.sources import read_audio
from ..stt.transcriber import Transcriber
from ..stt.protocol import Recognizer
from .feed import feed_leg

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
_normalize = EnglishTextNormalizer()


CHANNELS = ("wide", "phone")


@dataclass
class FileResult:
    channel: str
    name: str
    duration_s: float
    wer: float
    wer_whole_file: float
    words: int
    substitutions: int
    deletions: int
    insertions: int
    partials: int
    finals: int
    reference: str
    hypothesis: str
    hypothesis_whole_file: str  # the same file decoded in one piece, to compare


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


# Builds a call's STT stage: stt.Transcriber, or a design it is compared with (designs.py).
StageFactory = Callable[[str, Settings, Recognizer, Callable[[Event], None]], Transcriber]


async def stream_through_stt(samples: np.ndarray, settings: Settings,
                             recognizer: Recognizer, tracker: LatencyTracker,
                             speed: float, call_id: str = "eval",
                             make_stage: StageFactory = Transcriber) -> StreamResult:
    """Run 16 kHz mono float32 ``samples`` as the customer leg of a call's STT stage."""
    bus = Bus()
    result = StreamResult([])
    transcriber = make_stage(call_id, settings, recognizer, bus.publish)
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
                   speed: float = 1.0, progress: bool = True, channel: str = "wide",
                   make_stage: StageFactory = Transcriber, label: str = "eval stt") -> dict:
    """Stream each file through ``make_stage``'s stage, and also decode it whole."""
    from tqdm import tqdm

    pairs = find_pairs(folder)
    tracker = LatencyTracker()
    files: list[FileResult] = []
    refs, hyps, wholes = [], [], []
    streamed_compute_s = 0.0
    started = time.perf_counter()
    bar = tqdm(pairs, desc=f"{label} ({channel})", unit="file", disable=not progress)
    for i, (audio_path, text_path) in enumerate(bar):
        bar.set_postfix_str(audio_path.name)
        samples = (await asyncio.to_thread(read_audio, audio_path, 16000)).astype(
            np.float32) / 32768.0
        compute0 = recognizer.compute_s
        stream = await stream_through_stt(samples, settings, recognizer, tracker, speed,
                                          call_id=f"eval-{channel}-{i}", make_stage=make_stage)
        streamed_compute_s += recognizer.compute_s - compute0
        whole = await recognizer.transcribe_async(samples, 0.0, settings.stt_prompt)
        whole_text = " ".join(seg.text for seg in whole).strip()
        hypothesis = " ".join(f.text for f in stream.finals)
        reference = text_path.read_text().strip()
        out = score(reference, hypothesis)
        refs.append(_normalize(reference))
        hyps.append(_normalize(hypothesis))
        wholes.append(_normalize(whole_text))
        files.append(FileResult(
            channel=channel, name=audio_path.name, duration_s=round(len(samples) / 16000, 2),
            wer=round(out.wer, 4), wer_whole_file=round(score(reference, wholes[-1]).wer, 4),
            words=out.hits + out.substitutions + out.deletions, substitutions=out.substitutions,
            deletions=out.deletions, insertions=out.insertions, partials=len(stream.partials),
            finals=len(stream.finals), reference=reference, hypothesis=hypothesis,
            hypothesis_whole_file=whole_text))
    audio_s = sum(f.duration_s for f in files)
    summary = {
        "wer": round(jiwer.process_words(refs, hyps).wer, 4),
        "wer_whole_file": round(jiwer.process_words(refs, wholes).wer, 4),
        "files_n": len(files),
        "audio_s": round(audio_s, 2),
        "wall_s": round(time.perf_counter() - started, 2),
        # All decoding (partials included) per second of audio streamed.
        "rtf": round(streamed_compute_s / audio_s, 4) if audio_s else 0.0,
        **tracker.summary(),
    }
    return {"summary": summary, "files": [asdict(f) for f in files]}


async def evaluate_channels(folder: Path, settings: Settings, recognizer: Recognizer, *,
                            channels: tuple[str, ...] = CHANNELS, speed: float = 1.0,
                            progress: bool = True, make_stage: StageFactory = Transcriber,
                            label: str = "eval stt") -> dict:
    """Evaluate ``folder`` as recorded ("wide") and/or its telephone-channel copy ("phone").
    The summary's figures are the first channel's, with ``_phone`` keys for the copy."""
    import tempfile

    from .phone_channel import phone_copy

    unknown = [c for c in channels if c not in CHANNELS]
    if unknown or not channels:
        raise ValueError(f"unknown channel {unknown[0] if unknown else ''!r}: use "
                         f"{' and/or '.join(CHANNELS)}")
    summary: dict = {}
    files: list[dict] = []
    rows: list[dict] = []
    for channel in channels:
        with tempfile.TemporaryDirectory(prefix="callkit-phone-") as tmp:
            source = (folder if channel == "wide" else await asyncio.to_thread(
                phone_copy, folder, Path(tmp), find_pairs(folder)))
            result = await evaluate(source, settings, recognizer, speed=speed,
                                    progress=progress, channel=channel, make_stage=make_stage,
                                    label=label)
        suffix = "" if not summary else f"_{channel}"
        summary.update({suffixed(k, suffix): v for k, v in result["summary"].items()})
        files += result["files"]
        rows.append({"channel": channel, **result["summary"]})
    return {"summary": summary, "files": files, "channels": rows,
            "settings": {"model": settings.stt_model, "beam_size": settings.stt_beam_size,
                         "window_s": settings.stt_window_s, "speed": speed,
                         "endpoint_silence_s": settings.endpoint_silence_s,
                         "channels": list(channels)}}


def suffixed(key: str, suffix: str) -> str:
    """``wer`` → ``wer_phone``; ``speech_end_to_final_p50_s`` → ``…_p50_phone_s``."""
    if not suffix or not key.endswith("_s"):
        return key + suffix
    return key[:-2] + suffix + "_s"


def run_eval(folder: Path, settings: Settings, speed: float, progress: bool,
             channels: tuple[str, ...] = CHANNELS) -> dict:
    from ..stt.engines import shared_recognizer

    recognizer = shared_recognizer(settings)
    return asyncio.run(evaluate_channels(folder, settings, recognizer, channels=channels,
                                         speed=speed, progress=progress))
