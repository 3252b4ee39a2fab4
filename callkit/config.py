"""Settings, read from ``CALLKIT_*`` environment variables with defaults that run offline.

Every stage receives a :class:`Settings`; nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("callkit")) / "callkit.duckdb"


def default_model_cache() -> Path:
    return Path(platformdirs.user_cache_dir("callkit")) / "models"


ASSISTANT_ENGINES = ("rules", "openai", "local")
STT_ENGINES = ("faster-whisper",)  # a new engine implements stt/protocol.py's Recognizer


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=default_db_path)
    agent_name: str = "Agent"
    # Stored transcript lines, flag notes and tool-call arguments have card numbers, e-mails
    # and phone numbers redacted (assistant/redact.py); True keeps them word for word. The
    # live views (console, SSE) show what was said either way: the agent needs the number.
    store_verbatim: bool = False
    # "default": aioice gathers the host's addresses (what a real browser needs);
    # "loopback": only 127.0.0.1, for recorded-call replay, tests and benchmarks.
    ice: str = "default"
    stt_engine: str = "faster-whisper"
    stt_model: str = "tiny.en"
    stt_language: str = "en"
    # Where a model assembled from several packages (``base``) is kept once joined.
    model_cache_dir: Path = field(default_factory=default_model_cache)
    stt_threads: int = 2
    # Decodes whisper runs at once, each on stt_threads threads. 2 workers of 1 thread let a
    # final start while another decode runs: 8 calls' p95 fell from 20.6 to 4.5 s, but they
    # lost 2% of their audio (whisper starves the event loop), one call's p50 rose 0.1 s, and
    # up to 2 calls gained nothing over two runs, so 1 worker is the default (docs/SPEED.md).
    stt_workers: int = 1
    stt_beam_size: int = 1
    # The shortest window whisper's encoder reads for a final (stt/short_window.py): a turn is
    # padded to this or to its length + 1 s. 30 is faster-whisper's own full window, and the
    # default: shorter windows are faster, but tiny.en then drops digits of the demo call's
    # order number ("seven, eight, nine, oh, one"), at any window from 10 to 25 s.
    stt_window_s: float = 30.0
    # The same for a partial: it is replaced by the final, so it trades a little accuracy for
    # a third of the cost, which leaves the shared whisper worker free for finals
    # (docs/SPEED.md). Also the floor for what whisper leaves unread after a turn's first
    # window (its tail of silence), which faster-whisper read in a second 30 s window.
    stt_partial_window_s: float = 10.0
    # When finals queue behind one another (more calls than whisper keeps up with), read them
    # in the partials' window too: a little less accurate, about half the cost, so the machine
    # catches up instead of falling further behind (docs/SPEED.md).
    stt_fit_finals_when_behind: bool = True
    # Decode a turn's final during the silence that may end it (stt/transcriber.py): the final
    # is out as the turn ends, for one extra decode at each pause the speaker talks through.
    stt_decode_ahead: bool = True
    # Context for whisper's decoder: it hears spoken digits as digits far more reliably when
    # told the domain (measured on the recorded calls: "order seven, eight, …" → 78901).
    stt_prompt: str = "A customer calls support about an order number, an account number or a bill."
    # Silence that ends a turn, and the longest stretch sent to whisper in one piece.
    endpoint_silence_s: float = 0.6
    max_utterance_s: float = 15.0
    vad_threshold: float = 0.5
    partial_interval_s: float = 0.7
    # Pace of the rules engine's word-by-word stream, so a UI can animate it.
    token_delay_s: float = 0.02
    replay_speed: float = 1.0
    # A live call whose dropped leg has not rejoined after this long ends as abandoned.
    rejoin_timeout_s: float = 30.0
    # Ending a call waits at most this long for its last words to be transcribed, and as
    # long again for its summary; past it, the step is cancelled and logged (Call.unfinished).
    end_timeout_s: float = 15.0
    # The assistant: "rules" (offline, default), "openai" (any OpenAI-compatible endpoint) or
    # "local" (a small model in this process: pip install "callkit[llm]").
    assistant_engine: str = "rules"
    # With a model: "hybrid" (the rules answer at once, the model adds its sentence; the
    # policy dedupes across them) or "model" (the model's suggestions alone, the rules' only
    # when the model fails). Identification and alerts come from the rules either way.
    assistant_mode: str = "hybrid"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str = ""
    openai_timeout_s: float = 8.0
    # The local engine's model (llm/model_file.py: the kit's default or a .gguf path), its
    # threads and its context window (the whole call stays in it, for the prompt cache).
    llm_model: str = "qwen2.5-coder-0.5b"
    llm_threads: int = 2
    llm_context: int = 8192
    # A turn waits this long for the model's first words; then the rules' tips are shown
    # (the model may still answer after them).
    openai_fallback_s: float = 1.0
    # Suggestion policy: what reaches the agent.
    suggestion_min_gap_s: float = 1.5      # debounce between two tips (alerts/info exempt)
    suggestion_cooldown_s: float = 45.0    # the same topic again only after this long
    suggestion_similarity: float = 85.0    # 0-100: this close to one already shown = duplicate
    suggestion_min_confidence: float = 0.5
    suggestions_per_minute: int = 6        # high-priority alerts are never capped

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"CALLKIT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, f.type)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.assistant_engine not in ASSISTANT_ENGINES:
            raise ValueError("CALLKIT_ASSISTANT_ENGINE must be one of "
                             f"{', '.join(ASSISTANT_ENGINES)}, not {self.assistant_engine!r}")
        if self.assistant_mode not in ("hybrid", "model"):
            raise ValueError("CALLKIT_ASSISTANT_MODE must be 'hybrid' or 'model'")
        if self.llm_threads < 1 or self.llm_context < 1024:
            raise ValueError("CALLKIT_LLM_THREADS must be at least 1 and CALLKIT_LLM_CONTEXT "
                             "at least 1024")
        if self.suggestions_per_minute < 1 or not 0 <= self.suggestion_similarity <= 100:
            raise ValueError("CALLKIT_SUGGESTIONS_PER_MINUTE must be >= 1 and "
                             "CALLKIT_SUGGESTION_SIMILARITY within 0-100")
        if self.stt_engine not in STT_ENGINES:
            raise ValueError(f"CALLKIT_STT_ENGINE must be one of {', '.join(STT_ENGINES)}, "
                             f"not {self.stt_engine!r}")
        if self.ice not in ("default", "loopback"):
            raise ValueError(f"CALLKIT_ICE must be 'default' or 'loopback', not {self.ice!r}")
        for name in ("endpoint_silence_s", "max_utterance_s", "partial_interval_s", "replay_speed",
                     "openai_timeout_s", "openai_fallback_s", "rejoin_timeout_s",
                     "end_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"CALLKIT_{name.upper()} must be positive")
        if not 0 < self.vad_threshold < 1:
            raise ValueError("CALLKIT_VAD_THRESHOLD must be between 0 and 1")
        if not (1 <= self.stt_window_s <= 30 and 1 <= self.stt_partial_window_s <= 30):
            raise ValueError("CALLKIT_STT_WINDOW_S and CALLKIT_STT_PARTIAL_WINDOW_S must be "
                             "within 1..30 seconds")
        if self.stt_threads < 1 or self.stt_beam_size < 1 or self.stt_workers < 1:
            raise ValueError("CALLKIT_STT_THREADS, CALLKIT_STT_WORKERS and "
                             "CALLKIT_STT_BEAM_SIZE must be at least 1")


def _parse(name: str, raw: str, type_name: str) -> object:
    try:
        if type_name == "Path":
            return Path(raw).expanduser()
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            return {"1": True, "true": True, "yes": True, "on": True,
                    "0": False, "false": False, "no": False, "off": False}[raw.strip().lower()]
        return raw
    except (ValueError, KeyError):
        raise ValueError(f"CALLKIT_{name.upper()}={raw!r} is not a valid {type_name}") from None
