"""What a widget accepts from its view in the browser (anywidget custom messages).

A request is a JSON object with a ``kind``; anything else (a list, a string, an object the
size of a file) is refused with a message the view can show, and the kernel carries on.
Values are read through :func:`text` and :func:`integer`, which cut texts short and check
numbers, so no request makes the kernel store, search or convert more than a few kB.
"""

from __future__ import annotations

from typing import Any

# What reading a request's values may raise: each is answered as a refusal, not a traceback.
REFUSED = (ValueError, TypeError, OverflowError, LookupError)
LONGEST = 200        # characters of an id, a kind, a search filter
INT64 = 2**63


def request_kind(content: Any) -> str:
    """The request's ``kind``; ValueError when ``content`` is not a request at all."""
    if not isinstance(content, dict):
        raise ValueError(f"a request is a JSON object, not {type(content).__name__}")
    kind = content.get("kind")
    if not isinstance(kind, str) or len(kind) > LONGEST:
        raise ValueError("a request needs a 'kind'")
    return kind


def request_id(content: dict) -> int | str | None:
    """The id a view gave its request, to answer with (only a number or a short string)."""
    given = content.get("id")
    if isinstance(given, bool) or not isinstance(given, (int, str)) or len(str(given)) > LONGEST:
        return None
    return given


def text(content: dict, key: str, longest: int = LONGEST, default: str = "") -> str:
    """``content[key]`` as a string of at most ``longest`` characters (numbers become text)."""
    value = content.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise TypeError(f"'{key}' must be a string")
    value = str(value)[:longest]
    value.encode("utf-8")  # a lone surrogate (UnicodeEncodeError): DuckDB cannot take it
    return value


def integer(content: dict, key: str) -> int:
    """``content[key]`` as a whole number that fits a database column."""
    value = content.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"'{key}' must be a whole number")
    number = int(str(value)[:LONGEST])
    if not -INT64 <= number < INT64:
        raise ValueError(f"'{key}' is out of range")
    return number


def strings(content: dict, key: str, most: int) -> list[str]:
    """``content[key]`` as a list of at most ``most`` short strings."""
    value = content.get(key) or []
    if not isinstance(value, list):
        raise TypeError(f"'{key}' must be a list")
    return [text({"v": v}, "v") for v in value[:most]]
