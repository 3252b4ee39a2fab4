"""Speech engines by name (``CALLKIT_STT_ENGINE``), loaded once per process and shared."""

from __future__ import annotations

import atexit
import threading

from ..config import STT_ENGINES, Settings
from .protocol import Recognizer

_shared: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def _load(settings: Settings) -> Recognizer:
    if settings.stt_engine == "faster-whisper":
        from .whisper import WhisperRecognizer

        return WhisperRecognizer(settings.stt_model, threads=settings.stt_threads,
                                 workers=settings.stt_workers,
                                 beam_size=settings.stt_beam_size,
                                 language=settings.stt_language,
                                 cache_dir=settings.model_cache_dir,
                                 min_window_s=settings.stt_window_s,
                                 partial_window_s=settings.stt_partial_window_s,
                                 fit_finals_when_behind=settings.stt_fit_finals_when_behind)
    raise ValueError(f"unknown speech engine {settings.stt_engine!r}: use one of "
                     f"{', '.join(STT_ENGINES)}")


def shared_recognizer(settings: Settings) -> Recognizer:
    """The process's engine for these settings, loaded on first use."""
    key = (settings.stt_engine, settings.stt_model, settings.stt_threads, settings.stt_workers,
           settings.stt_beam_size, settings.stt_language, settings.stt_window_s,
           settings.stt_partial_window_s, settings.stt_fit_finals_when_behind)
    with _lock:
        if key not in _shared:
            if not _shared:
                atexit.register(_close_shared_at_exit)
            _shared[key] = _load(settings)
        return _shared[key]


def _close_shared_at_exit() -> None:
    """Stop every shared engine's workers; at exit, the queued work is dropped.

    A worker thread still inside the model when the interpreter tears down takes the process
    with it (a segfault, or "terminate called without an active exception"): exiting mid-call
    or with turns still queued did that. So exit waits for the decode running now (under a
    second) and cancels the rest."""
    with _lock:
        engines = list(_shared.values())
        _shared.clear()
    for engine in engines:
        close = getattr(engine, "close", None)
        if close is not None:
            close(cancel_waiting=True)
