"""Turns a stream of samples into utterances: speech start, speech end, and the audio between.

A turn starts when the VAD hears speech and ends after ``silence_s`` of silence. A turn longer
than ``max_utterance_s`` is split at its quietest recent pause, never at a fixed offset, so a
word is not cut in half.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .vad import WINDOW, StreamingVad

RATE = 16000
WINDOW_S = WINDOW / RATE
PRE_ROLL_S = 0.3   # audio kept before the first voiced window: onsets are soft (SPEED.md)
TAIL_S = 0.25      # audio kept after the last voiced window
MIN_VOICED_S = 0.2  # shorter bursts (clicks, breaths) are not turns


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float
    audio: np.ndarray
    speech_end: float  # end of the last voiced window, the moment the speaker stopped
    # Cut at max_utterance_s while the speaker goes on: there is no moment they stopped.
    split: bool = False


@dataclass(frozen=True)
class SpeechStart:
    t: float


class Endpointer:
    """``end_of_turn``, if given, decides when a turn is over from the VAD probabilities of
    the turn so far (one per 32 ms window, newest last) instead of ``silence_s`` of silence
    (see callkit/extensions.py)."""

    def __init__(self, *, silence_s: float = 0.6, max_utterance_s: float = 15.0,
                 threshold: float = 0.5, vad: StreamingVad | None = None,
                 end_of_turn: Callable[[Sequence[float]], bool] | None = None):
        self.silence_s = silence_s
        self.end_of_turn = end_of_turn
        self.max_utterance_s = max_utterance_s
        self.threshold = threshold
        self.off_threshold = max(threshold - 0.15, 0.01)
        self.vad = vad or StreamingVad()
        self._t = 0.0          # call time of the next window to be classified
        self._t_set = False
        # Audio lost on the way in the turn in progress: the turn is spliced across the hole,
        # so whisper hears whole words, and the clock catches up at the next pause.
        self._owed = 0.0
        self._history: list[np.ndarray] = []  # recent windows while idle (pre-roll)
        self._windows: list[np.ndarray] = []  # windows of the current turn
        self._probs: list[float] = []
        self._start = 0.0
        self._voiced = 0
        self._last_voiced = -1  # index into _windows
        self._in_speech = False
        self._announced = False
        self._onset = 0.0
        self._buffer = np.zeros(0, dtype=np.float32)

    @property
    def speaking(self) -> bool:
        """A turn has been announced (SpeechStart) and has not ended yet."""
        return self._in_speech and self._announced

    @property
    def trailing_silence_s(self) -> float:
        """How long the speaker of the turn in progress has been quiet (0 when idle)."""
        if not self._in_speech:
            return 0.0
        return (len(self._windows) - 1 - self._last_voiced) * WINDOW_S

    @property
    def voiced_until(self) -> float:
        """Call time where the last voiced window of the turn in progress ends."""
        return self._start + (self._last_voiced + 1) * WINDOW_S

    def current_audio(self) -> tuple[float, np.ndarray]:
        """Start time and audio of the turn in progress (empty when idle)."""
        if not self._in_speech:
            return self._t, np.zeros(0, dtype=np.float32)
        return self._start, np.concatenate(self._windows)

    def feed(self, samples: np.ndarray, t: float) -> list[SpeechStart | Utterance]:
        out: list[SpeechStart | Utterance] = []
        expected = self._t + len(self._buffer) / RATE + self._owed
        if not self._t_set:
            self._t, self._t_set = t, True
        elif t > expected + self.silence_s:
            # The leg was away (dropped and rejoined), or lost as much audio on the way as
            # a pause that ends a turn: the turn in progress ends where the audio stopped,
            # and the clock jumps to the new audio.
            out += self.flush()
            self._history.clear()
            self._buffer = np.zeros(0, dtype=np.float32)
            self._t, self._owed = t, 0.0
        elif t - expected > 0.5 / RATE:  # a shorter hole (packets lost)
            self._owed += t - expected
        self._buffer = np.concatenate([self._buffer, samples])
        whole = len(self._buffer) // WINDOW * WINDOW
        chunk, self._buffer = self._buffer[:whole], self._buffer[whole:]
        probs = self.vad(chunk)
        for i, prob in enumerate(probs):
            window = chunk[i * WINDOW:(i + 1) * WINDOW]
            out.extend(self._step(window, prob))
            self._t += WINDOW_S
            if self._owed and not self._in_speech:
                self._t, self._owed = self._t + self._owed, 0.0
        return out

    def flush(self) -> list[Utterance]:
        """End the turn in progress (the leg has ended)."""
        if not self._in_speech:
            return []
        utterance = self._finish(self._tail_end())
        return [utterance] if utterance else []

    def pending(self) -> Utterance | None:
        """The utterance that ending the turn now would give, with the turn left going: the
        transcriber decodes it ahead, while it waits to see whether the silence lasts."""
        if not self.speaking:
            return None
        return self._cut(self._tail_end())

    def _tail_end(self) -> int:
        return self._last_voiced + 1 + int(TAIL_S / WINDOW_S)

    def _step(self, window: np.ndarray, prob: float) -> list[SpeechStart | Utterance]:
        if not self._in_speech:
            self._history.append(window)
            keep = int(PRE_ROLL_S / WINDOW_S) + 1
            del self._history[:-keep]
            if prob < self.threshold:
                return []
            self._in_speech = True
            self._announced = False
            self._onset = self._t
            self._windows = list(self._history)
            self._probs = [0.0] * (len(self._windows) - 1) + [prob]
            self._start = self._t + WINDOW_S - len(self._windows) * WINDOW_S
            self._voiced = 1
            self._last_voiced = len(self._windows) - 1
            self._history.clear()
            return self._announce()

        self._windows.append(window)
        self._probs.append(prob)
        out: list[SpeechStart | Utterance] = []
        if prob >= self.off_threshold:
            self._voiced += 1
            self._last_voiced = len(self._windows) - 1
            out = self._announce()
        silent_s = (len(self._windows) - 1 - self._last_voiced) * WINDOW_S
        over = (self.end_of_turn(tuple(self._probs)) if self.end_of_turn
                else silent_s >= self.silence_s)
        if over:
            utterance = self._finish(self._tail_end())
            return [utterance] if utterance else []
        if len(self._windows) * WINDOW_S >= self.max_utterance_s:
            return self._split()
        return out

    def _announce(self) -> list[SpeechStart | Utterance]:
        """A turn is announced once it has enough voiced audio not to be a click."""
        if self._announced or self._voiced * WINDOW_S < MIN_VOICED_S:
            return []
        self._announced = True
        return [SpeechStart(t=self._onset)]

    def _split(self) -> list[SpeechStart | Utterance]:
        """Cut a long turn at the quietest window of its last third; the rest goes on."""
        n = len(self._windows)
        lo = n * 2 // 3
        cut = lo + int(np.argmin(self._probs[lo:])) + 1
        rest_windows, rest_probs = self._windows[cut:], self._probs[cut:]
        rest_start = self._start + cut * WINDOW_S
        utterance = self._finish(cut)
        if utterance is not None:
            utterance = replace(utterance, split=True)
        self._in_speech = True
        self._windows, self._probs = rest_windows, rest_probs
        self._start = self._onset = rest_start
        voiced = [i for i, p in enumerate(rest_probs) if p >= self.off_threshold]
        self._voiced = len(voiced)
        self._last_voiced = voiced[-1] if voiced else 0
        self._announced = False
        out: list[SpeechStart | Utterance] = [utterance] if utterance else []
        return out + self._announce()

    def _finish(self, upto: int) -> Utterance | None:
        utterance = self._cut(upto)
        self._in_speech = False
        self._windows, self._probs = [], []
        self._voiced = 0
        self._last_voiced = -1
        return utterance

    def _cut(self, upto: int) -> Utterance | None:
        """The turn's first ``upto`` windows as an utterance (None when too little was voiced)."""
        if self._voiced * WINDOW_S < MIN_VOICED_S:
            return None
        upto = min(upto, len(self._windows))
        audio = np.concatenate(self._windows[:upto]) if upto else np.zeros(0, np.float32)
        return Utterance(start=self._start, end=self._start + len(audio) / RATE, audio=audio,
                         speech_end=min(self.voiced_until, self._start + len(audio) / RATE))
