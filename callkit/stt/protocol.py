"""What the transcription stage needs of a speech engine, whichever engine it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..events import Word


@dataclass(frozen=True)
class Recognized:
    """One segment an engine heard, with call-time word timestamps."""

    text: str
    start: float
    end: float
    words: tuple[Word, ...]
    avg_logprob: float


class Recognizer(Protocol):
    """A speech engine shared by every leg of every call in the process.

    ``transcribe_async`` takes 16 kHz mono float32 audio starting at call time ``offset`` and
    must not block the event loop. A ``final`` decode (a turn's final, or the decode ahead of
    it) goes before any partial, and an engine may read a partial faster and less carefully,
    since a final replaces it. ``busy`` tells the stage when to skip a partial so that a
    backlog never delays a final.
    """

    name: str

    @property
    def busy(self) -> bool: ...

    async def transcribe_async(self, audio: np.ndarray, offset: float = 0.0,
                               prompt: str | None = None, *,
                               final: bool = True) -> list[Recognized]: ...

    def close(self) -> None: ...
