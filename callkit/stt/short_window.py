"""Decode a turn with whisper's encoder reading a window fitted to it, not 30 s.

faster-whisper's ``transcribe`` pads every input to whisper's 30 s window, so a 3 s turn costs
as much encoder work as 30 s of speech. CTranslate2 accepts shorter encoder input; we encode the
turn padded to ``max(min_window_s, its length + 1 s)`` and hand that encoding to faster-whisper's
own segment loop (``generate_segments`` uses a given encoder output for its first window), so
timestamps, word alignment and every decoding option stay faster-whisper's.

Whisper was trained on 30 s windows and, given too little padding, can loop or run on. So:
the window never shrinks below ``min_window_s``; output tokens are capped by the audio's
length; and a decode that hit the cap, produced a repeating segment, or skipped a stretch of
the turn is done again the standard way, padded to 30 s.
"""

from __future__ import annotations

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


class ShortWindowDecoder:
    def __init__(self, model, *, language: str, beam_size: int, min_window_s: float = 30.0):
        from faster_whisper.tokenizer import Tokenizer

        if not 1.0 <= min_window_s <= FULL_WINDOW_S:
            raise ValueError(f"min_window_s must be within 1..{FULL_WINDOW_S:g} s, "
                             f"not {min_window_s}")
        self._model = model
        self.min_window_s = min_window_s
        self._options = _decode_options(model, language, beam_size)
        self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                    task="transcribe", language=language)
        self.redone = 0  # decodes done again at 30 s (see the module's doc)

    def window_s(self, seconds: float) -> float:
        return min(FULL_WINDOW_S, max(self.min_window_s, seconds + 1.0))

    def segments(self, audio: np.ndarray, prompt: str | None) -> list:
        """Whisper's segments for 16 kHz mono float32 ``audio``, decoded now, on this thread."""
        seconds = len(audio) / 16000
        window = self.window_s(seconds)
        features = self._model.feature_extractor(audio)
        if window >= FULL_WINDOW_S:
            return self._full(features, prompt)
        cap = min(MAX_NEW_TOKENS, int(TOKENS_FLOOR + TOKENS_PER_S * seconds))
        options = replace(self._options, initial_prompt=prompt or None, max_new_tokens=cap)
        frames = int(window * FRAMES_PER_S)
        # Padding with zeros is what faster-whisper's own pad_or_trim does to a short input.
        padded = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        encoded = self._model.encode(padded)
        segments = list(self._model.generate_segments(
            features, self._tokenizer, options, False, encoded))
        if _looped(segments, cap) or _skipped_audio(segments, seconds):
            self.redone += 1
            return self._full(features, prompt)
        return segments

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


def _looped(segments: list, cap: int) -> bool:
    tokens = sum(len(s.tokens) for s in segments)
    return tokens >= cap - 1 or any(s.compression_ratio > LOOP_COMPRESSION_RATIO
                                    for s in segments)
