"""Decode a turn with whisper's encoder reading a window fitted to it, not 30 s.

faster-whisper pads every window of audio to whisper's 30 s before encoding it, so a 3 s turn
costs as much encoder work as 30 s of speech. CTranslate2 accepts shorter encoder input, so
the model's ``encode`` is wrapped to read each window cut to ``max(floor, its audio + 1 s)``
instead, and faster-whisper's own segment loop does the rest: timestamps, word alignment and
every decoding option stay faster-whisper's.

A turn usually takes two windows, not one: when whisper's last segment does not close the
window, faster-whisper decodes again from the last word's end, and that leftover (mostly the
silence that ended the turn, sometimes a last "okay") was padded to 30 s too. On 37 turns of
the recorded calls, 33 finals paid for that second 30 s encode. The leftover window has a
floor of its own (the recognizer gives it the partials' floor).

Whisper was trained on 30 s windows and, given too little padding, can loop or run on. So:
a window never shrinks below its floor; output tokens are capped by the audio's length; and
a decode that hit the cap, produced a repeating segment, or (with a floor under 30 s) skipped
a stretch of the turn is done again the standard way, every window padded to 30 s. A final
read in a short window is also done again when it says the same words twice in a row: on a
real call, read fitted, whisper wrote "Sure. Sure." for a 0.5 s "Sure." and "a lot of your,
your, your needs" for "a lot of your gear" (a stutter, read again at 30 s, costs only time).
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace

import numpy as np

FULL_WINDOW_S = 30.0
FRAMES_PER_S = 100          # log-mel frames per second (hop of 160 samples at 16 kHz)
TOKENS_PER_S = 12           # far above English speech (about 4 tokens a second) ...
TOKENS_FLOOR = 24           # ... with room for timestamps and digits on short turns
# faster-whisper refuses prompt + new tokens past whisper's 448; it cuts the prompt to 223,
# so up to 220 new tokens always fit, whatever CALLKIT_STT_PROMPT says.
MAX_NEW_TOKENS = 220
LOOP_COMPRESSION_RATIO = 2.4
# Given room, whisper sometimes skips most of a turn ("Perfect." for 7 s of talk, placed at
# its end): a decode whose words leave this long a stretch unread is redone.
UNREAD_S = 1.5
MAX_REPEAT_WORDS = 4


def _decode_options(model, language: str, beam_size: int):
    """The options faster-whisper's ``transcribe`` would use, read from its own result so
    they follow its defaults (it decodes nothing until its segments are read)."""
    _, info = model.transcribe(
        np.zeros(1600, np.float32), language=language, beam_size=beam_size,
        word_timestamps=True, condition_on_previous_text=False, vad_filter=False,
        without_timestamps=False,
        # Greedy only: the sampling fallback at higher temperatures is where invented endings
        # come from, and it makes the same audio read differently run to run.
        temperature=0.0)
    return info.transcription_options


def check_window(min_window_s: float) -> float:
    if not 1.0 <= min_window_s <= FULL_WINDOW_S:
        raise ValueError(f"a window floor must be within 1..{FULL_WINDOW_S:g} s, "
                         f"not {min_window_s}")
    return min_window_s


class ShortWindowDecoder:
    def __init__(self, model, *, language: str, beam_size: int):
        from faster_whisper.tokenizer import Tokenizer

        self._model = model
        self._options = _decode_options(model, language, beam_size)
        self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                    task="transcribe", language=language)
        self.redone = 0  # decodes done again at 30 s (see the module's doc)
        # faster-whisper offers no way to encode a window shorter than 30 s: its segment loop
        # pads each one and calls ``self.encode``, so the model's own is wrapped.
        self._floors = threading.local()  # per worker thread: (first window, leftovers)
        self._encode_padded = model.encode
        model.encode = self._encode_fitted

    @staticmethod
    def window_s(seconds: float, min_window_s: float) -> float:
        return min(FULL_WINDOW_S, max(min_window_s, seconds + 1.0))

    def segments(self, audio: np.ndarray, prompt: str | None, min_window_s: float,
                 leftover_window_s: float = FULL_WINDOW_S, final: bool = True) -> list:
        """Whisper's segments for 16 kHz mono float32 ``audio``, decoded now, on this thread:
        the first window read in at least ``min_window_s``, any later one (what whisper left
        unread, usually the turn's tail of silence) in ``leftover_window_s``. A partial
        (``final`` False) is not read again for repeated words: its final will be."""
        seconds = len(audio) / 16000
        features = self._model.feature_extractor(audio)
        cap = min(MAX_NEW_TOKENS, int(TOKENS_FLOOR + TOKENS_PER_S * seconds))
        options = replace(self._options, initial_prompt=prompt or None, max_new_tokens=cap)
        self._floors.windows = [min_window_s, leftover_window_s]
        try:
            segments = list(self._model.generate_segments(features, self._tokenizer, options,
                                                          False))
        finally:
            self._floors.windows = None
        short_first = self.window_s(seconds, min_window_s) < FULL_WINDOW_S
        if _looped(segments, cap) or short_first and (
                _skipped_audio(segments, seconds) or final and _says_twice(segments)):
            self.redone += 1
            return self._full(features, prompt)
        return segments

    def _encode_fitted(self, features: np.ndarray):
        floors = getattr(self._floors, "windows", None)
        if floors is None or features.ndim != 2:
            return self._encode_padded(features)
        floor = floors.pop(0) if len(floors) > 1 else floors[0]
        # The padding is exact zeros; a log-mel frame of audio, even of digital silence, is not.
        heard = np.flatnonzero(features.any(axis=0))
        content = int(heard[-1]) + 1 if len(heard) else 0
        width = int(self.window_s(content / FRAMES_PER_S, floor) * FRAMES_PER_S)
        return self._encode_padded(features[:, :min(width, features.shape[-1])])

    def _full(self, features: np.ndarray, prompt: str | None) -> list:
        """faster-whisper's own decode: every window padded to 30 s."""
        options = replace(self._options, initial_prompt=prompt or None)
        return list(self._model.generate_segments(features, self._tokenizer, options, False))


def _skipped_audio(segments: list, seconds: float) -> bool:
    """Whether the words leave a stretch of the turn longer than ``UNREAD_S`` unread: a
    turn's audio is voice with pauses under a second, so whisper skipped some."""
    # Word times, not segment times: a segment can claim audio its words never reach.
    times = [0.0] + [t for s in segments for w in (s.words or ()) for t in (w.start, w.end)]
    times.append(seconds)
    return any(b - a > UNREAD_S for a, b in zip(times, times[1:]))


def _says_twice(segments: list) -> bool:
    """Whether the same one to four words come twice in a row ("sure sure", "your your")."""
    words = [re.sub(r"[^a-z0-9']", "", w.word.lower()) for s in segments for w in (s.words or ())]
    words = [w for w in words if w]
    return any(words[i:i + n] == words[i + n:i + 2 * n]
               for n in range(1, MAX_REPEAT_WORDS + 1) for i in range(len(words) - 2 * n + 1))


def _looped(segments: list, cap: int) -> bool:
    tokens = sum(len(s.tokens) for s in segments)
    return tokens >= cap - 1 or any(s.compression_ratio > LOOP_COMPRESSION_RATIO
                                    for s in segments)
