"""Speech engines by name (``CALLKIT_STT_ENGINE``), loaded once per process and shared."""

from __future__ import annotations

import threading

from ..config import STT_ENGINES, Settings
from .protocol import Recognizer

_shared: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def _load(settings: Settings) -> Recognizer:
    if settings.stt_engine == "faster-whisper":
        from .whisper import WhisperRecognizer

        return WhisperRecognizer(settings.stt_model, threads=settings.stt_threads,
                                 beam_size=settings.stt_beam_size,
                                 language=settings.stt_language,
                                 cache_dir=settings.model_cache_dir,
                                 min_window_s=settings.stt_window_s,
                                 partial_window_s=settings.stt_partial_window_s)
    raise ValueError(f"unknown speech engine {settings.stt_engine!r}: use one of "
                     f"{', '.join(STT_ENGINES)}")


def shared_recognizer(settings: Settings) -> Recognizer:
    """The process's engine for these settings, loaded on first use."""
    key = (settings.stt_engine, settings.stt_model, settings.stt_threads,
           settings.stt_beam_size, settings.stt_language, settings.stt_window_s,
           settings.stt_partial_window_s)
    with _lock:
        if key not in _shared:
            _shared[key] = _load(settings)
        return _shared[key]
