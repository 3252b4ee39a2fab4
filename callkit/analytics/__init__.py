"""Call analytics: plotly figures straight from DuckDB, the live dashboard, and call history.

- ``queries``: the SQL, one function per number, each returning a pandas DataFrame.
- ``figures``: a plotly figure per query; ``figure(con, name)`` runs one and draws it,
  ``call_sentiment(con, call_id)`` draws one call's sentiment line.
- ``Dashboard(center)``: every figure and the headline numbers, live while calls run.
- ``find_calls``, ``call_timeline``: past calls by customer, date, sentiment, status, agent,
  topic and the words said; one call's timeline. ``CallHistory(center)`` and
  ``CallReplay(center, call_id)`` show them; ``export_call`` writes one as JSON or Markdown,
  personal data redacted.

Heavier parts are imported on first use, so ``import callkit.analytics`` stays quick.
"""

from importlib import import_module

_EXPORTS = {"Period": "queries", "figure": "panels", "call_sentiment": "panels",
            "refresh": "panels", "PANELS": "panels", "Dashboard": "dashboard",
            "find_calls": "history", "call_timeline": "history", "export_call": "export",
            "from_json": "export", "CallHistory": "history_widget",
            "CallReplay": "history_widget"}
__all__ = ["queries", "figures", *_EXPORTS]


def __getattr__(name: str):
    if name in ("queries", "figures"):
        return import_module(f".{name}", __name__)
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'callkit.analytics' has no attribute {name!r}")
