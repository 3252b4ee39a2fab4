"""The documented places where your own code plugs into a call.

Pass an :class:`Extensions` to ``CallCenter(extensions=...)`` and every call of that center
runs your pieces in the real pipeline, in place of (or beside) the built-in ones. This is
how the lab's exercises work: the student writes a function, callkit runs it on a recorded
call, and the next cell shows the pipeline working with it. Nothing is monkeypatched.

Each hook is a plain function; none of them may block for long (they run on the event loop,
except tools, which run on the database thread).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from .assistant.memory import CallMemory
    from .assistant.rules import Suggestion
    from .events import TranscriptFinal

# A tool: (open DuckDB connection, arguments) -> JSON-able result. Same shape as the
# built-in tools in callkit/assistant/tools.py; raise ToolError for a bad argument.
Tool = Callable[["duckdb.DuckDBPyConnection", dict[str, Any]], dict[str, Any]]
# A suggestion rule: (the turn's final transcript, the call's memory) -> a Suggestion, or
# None when it has nothing to say. May be async (to call tools through memory-free helpers).
Rule = Callable[["TranscriptFinal", "CallMemory"],
                "Suggestion | None | Awaitable[Suggestion | None]"]
# End of turn: the VAD's speech probabilities of the turn so far, one per 32 ms window
# (newest last) -> True when the speaker has finished.
EndOfTurn = Callable[[Sequence[float]], bool]
# The summary's action items: the call's memory -> one line per thing someone must do.
ActionItems = Callable[["CallMemory"], Sequence[str]]


@dataclass(frozen=True)
class Extensions:
    """Your code in the pipeline. Every field is optional; empty means callkit's own."""

    # Tools by name: replaces a built-in tool of that name, or adds a new one.
    tools: Mapping[str, Tool] = field(default_factory=dict)
    # Extra suggestion rules, run after the built-in ones on every final transcript.
    rules: Sequence[Rule] = ()
    # Decides when a turn ends, in place of "CALLKIT_ENDPOINT_SILENCE_S of silence".
    end_of_turn: EndOfTurn | None = None
    # Writes the summary's action items, in place of the agent's recorded commitments.
    action_items: ActionItems | None = None
