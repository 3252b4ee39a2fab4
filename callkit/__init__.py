"""callkit: a real-time AI assistant for call-center agents, offline on a laptop.

The names students use most, imported on first use so ``import callkit`` stays quick:
``CallCenter`` (center.py) and ``Call`` (call.py), ``Settings`` (config.py), ``CallServer`` (server.py),
``Phone`` (widgets.py), ``AgentConsole`` (agent_console.py), ``load_recording`` (recordings.py), ``Extensions`` (extensions.py,
where your own code plugs in) and ``Suggestion`` (what a suggestion rule returns).
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {"CallCenter": "center", "Call": "call", "Settings": "config", "CallServer": "server",
            "Phone": "widgets", "load_recording": "recordings", "Extensions": "extensions",
            "Suggestion": "assistant.rules", "AgentConsole": "agent_console"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'callkit' has no attribute {name!r}")
