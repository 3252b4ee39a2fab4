"""Guards against Whisper's known failure modes.

- Text out of nothing: a segment with a high no-speech probability and a low log-probability,
  or a very low log-probability, is dropped.
- Repetition loops: a segment whose text compresses too well (a phrase repeated) is dropped.
- Closing phrases invented at the end of audio ("Thank you.", "We'll see you in the next one."):
  dropped when whisper itself was unsure of their first word, or when they lie after the point
  where the VAD heard the speaker stop.
- Sound annotations ("MUSIC", "[applause]", "♪") are not words anyone said.
- Prompt echoes: given noise, whisper may read back its initial prompt; such a segment, or
  one whose words whisper gave almost no probability, is dropped.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ..events import Word
from .protocol import Recognized

MAX_COMPRESSION_RATIO = 2.4
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
VERY_LOW_LOGPROB = -1.6
UNSURE_WORD_PROB = 0.3
MIN_MEAN_WORD_PROB = 0.15
PROMPT_ECHO_SIMILARITY = 80  # rapidfuzz partial_ratio, 0-100
SPEECH_END_GRACE_S = 0.15  # word times are approximate; allow this much past the VAD's end

# Phrases whisper appends to audio that ends (learned from subtitled videos).
CLOSING_PHRASE = re.compile(
    r"(?:thank(?:s| you)\b.*|(?:well )?see you\b.*|(?:good)?bye\b.*|(?:please )?subscribe\b.*"
    r"|subtitles by\b.*)")
_ANNOTATION = re.compile(
    r"^(?:[\[(♪*].*|(?:MUSIC|APPLAUSE|LAUGHTER|LAUGHS|SILENCE|NOISE|INAUDIBLE|BLANK_AUDIO)\W*)$")


def segment_is_hallucinated(compression_ratio: float, no_speech_prob: float,
                            avg_logprob: float) -> bool:
    if compression_ratio > MAX_COMPRESSION_RATIO:
        return True
    if no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOW_LOGPROB:
        return True
    return avg_logprob < VERY_LOW_LOGPROB


def echoes_prompt(text: str, prompt: str | None) -> bool:
    if not prompt:
        return False
    return fuzz.partial_ratio(_plain_text(text), _plain_text(prompt)) >= PROMPT_ECHO_SIMILARITY \
        and len(_plain_text(text)) >= 12


def too_unsure(words: tuple[Word, ...]) -> bool:
    return bool(words) and _mean_prob(list(words)) < MIN_MEAN_WORD_PROB


def _plain_text(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def _plain(words: list[Word]) -> str:
    return re.sub(r"[^a-z ]", "", " ".join(w.text for w in words).lower()).strip()


def clean_words(words: tuple[Word, ...], speech_end: float | None = None) -> tuple[Word, ...]:
    """The words worth keeping: no annotations, nothing invented at the end."""
    kept = [w for w in words if not _ANNOTATION.match(w.text)]
    if speech_end is not None:
        kept = [w for w in kept if w.start < speech_end + SPEECH_END_GRACE_S]
    for k in range(len(kept)):
        tail = kept[k:]
        if CLOSING_PHRASE.fullmatch(_plain(tail)) and (tail[0].probability < UNSURE_WORD_PROB
                                                or k == 0 and _mean_prob(tail) < 0.5):
            kept = kept[:k]
            break
    return tuple(kept)


def _mean_prob(words: list[Word]) -> float:
    return sum(w.probability for w in words) / len(words)


def join_words(words: tuple[Word, ...]) -> str:
    """Words back into text; pieces whisper attached to the previous word stay attached."""
    text = ""
    for w in words:
        glue = text and not re.match(r"[-'’,.!?%]", w.text)
        text += (" " if glue else "") + w.text
    return text


def has_words(text: str) -> bool:
    return bool(re.search(r"[A-Za-z0-9]", text))


def within_speech(segments: list[Recognized], speech_end: float) -> list[Recognized]:
    """Drop words placed after the VAD heard the speaker stop (see clean_words)."""
    kept = []
    for seg in segments:
        words = clean_words(seg.words, speech_end)
        if words == seg.words:
            kept.append(seg)
        elif words:
            kept.append(Recognized(text=join_words(words), start=seg.start,
                                   end=words[-1].end, words=words, avg_logprob=seg.avg_logprob))
    return kept
