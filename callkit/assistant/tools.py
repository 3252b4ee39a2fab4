"""The assistant's tools: one DuckDB implementation each (their OpenAI function schemas are in
tool_schemas.py).

Every tool takes a DuckDB connection plus the model's arguments and returns a JSON-able
dict. Bad input never raises: it returns ``{"error": {"code", "message"}}``, which an engine
can show to the agent or hand back to a model. All SQL is parameterized.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import jellyfish
from rapidfuzz import fuzz

from ..store import knowledge
from .records import CUSTOMER_COLUMNS, customer_context, latest_bill, recommend_product, records
from . import names
from .spoken import digits_of, normalize_email
from .tool_schemas import TOOL_SCHEMAS

__all__ = ["TOOLS", "TOOL_SCHEMAS", "ToolError", "ToolRunner", "call_tool", "customer_context",
           "latest_bill", "records"]

NAME_MIN_SCORE = 0.80
MAX_MATCHES = 5

class ToolError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _text_arg(args: dict[str, Any], name: str, required: bool = True,
              longest: int = 200) -> str | None:
    value = args.get(name)
    if value is None:
        if required:
            raise ToolError("invalid_argument", f"'{name}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ToolError("invalid_argument", f"'{name}' must be a string")
    text = str(value).strip()
    if not text:
        raise ToolError("invalid_argument", f"'{name}' must not be empty")
    if len(text) > longest:
        raise ToolError("invalid_argument", f"'{name}' is too long")
    if not text.isprintable() and any((ord(c) < 32 and c not in "\t\n\r")
                                      or 0xD800 <= ord(c) < 0xE000 for c in text):
        # NUL and control characters are no one's name or number; a lone surrogate cannot
        # even reach DuckDB (it is not UTF-8).
        raise ToolError("invalid_argument", f"'{name}' holds characters that are not text")
    return text


def lookup_customer(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    search_type = _text_arg(args, "search_type", required=False) or "name"
    query = _text_arg(args, "query", longest=2000 if search_type == "spoken" else 200)
    if search_type == "spoken":
        return {"query": query, "search_type": search_type,
                "matches": _names_said(con, query)}
    elif search_type == "name":
        name = re.sub(r"[^a-z' -]", "", query.lower()).strip()
        if len(name) < 2:
            raise ToolError("invalid_argument", "a name needs at least two letters")
        cur = con.execute(
            f"SELECT {CUSTOMER_COLUMNS}, jaro_winkler_similarity(lower(name), $1) AS score "
            "FROM customers WHERE score >= $2 ORDER BY score DESC, id LIMIT $3",
            [name, NAME_MIN_SCORE, MAX_MATCHES],
        )
    elif search_type == "email":
        email = normalize_email(query) or query.lower().replace(" ", "")
        cur = con.execute(
            f"SELECT {CUSTOMER_COLUMNS}, jaro_winkler_similarity(lower(email), $1) AS score "
            "FROM customers WHERE score >= 0.9 ORDER BY score DESC, id LIMIT $2",
            [email, MAX_MATCHES],
        )
    elif search_type == "phone":
        digits = digits_of(query)
        if len(digits) < 7:
            raise ToolError("invalid_argument", "a phone number needs at least 7 digits")
        cur = con.execute(
            f"SELECT {CUSTOMER_COLUMNS}, 1.0 AS score FROM customers "
            "WHERE regexp_replace(phone, '[^0-9]', '', 'g') LIKE '%' || $1 "
            "ORDER BY id LIMIT $2",
            [digits[-10:], MAX_MATCHES],
        )
    elif search_type == "account":
        digits = digits_of(query)
        if not digits:
            raise ToolError("invalid_argument", "an account number needs digits")
        cur = con.execute(
            f"SELECT {CUSTOMER_COLUMNS}, 1.0 AS score FROM customers WHERE account_number = $1",
            [digits],
        )
    else:
        raise ToolError("invalid_argument",
                        "search_type must be one of name, email, phone, account, spoken")
    matches = records(cur)
    for m in matches:
        m["score"] = round(m["score"], 3)
    return {"query": query, "search_type": search_type, "matches": matches}


def _names_said(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """Customers whose name is said in ``text`` (names.py): DuckDB narrows the table with
    Jaro-Winkler, then each candidate is scored by edit similarity over the whole name
    (Jaro-Winkler alone rates "sara jon" close to "sarah johnson": the prefix carries it).
    Names that sound the same (Metaphone) score as close as a one-letter slip: on a phone
    line they are the same name, and the caller must be asked which one they are."""
    found = names.candidates(text)
    spans = [c for c in found if not c.surname]
    # A title and a surname ("mrs thibodeaux") may name one customer, or several.
    surnames = [c.words for c in found if c.surname]
    rows = records(con.execute(
        f"SELECT {CUSTOMER_COLUMNS}, $1 AS span, true AS cued FROM customers "
        "WHERE list_contains($2, list_extract(string_split(lower(name), ' '), -1)) LIMIT 50",
        ["", surnames])) if surnames else []
    for row in rows:
        row["span"] = row["name"].lower()  # a surname alone: as sure as a name said in full
    rows += records(con.execute(
        f"SELECT {CUSTOMER_COLUMNS}, q.span, q.cued FROM customers, "
        "(SELECT unnest($1) AS span, unnest($2) AS cued) q "
        "WHERE left(lower(name), 1) = left(q.span, 1) "
        "AND jaro_winkler_similarity(lower(name), q.span) >= $3 LIMIT 200",
        [[c.words for c in spans], [c.cued for c in spans], names.PREFILTER]))
    best: dict[int, dict[str, Any]] = {}
    for row in rows:
        span = row.pop("span")
        score = fuzz.ratio(row["name"].lower(), span) / 100
        if jellyfish.metaphone(row["name"]) == jellyfish.metaphone(span):
            score = max(score, names.SOUNDS_ALIKE)  # "Jon Petersen" for "John Peterson"
        if score >= (names.CUED_SCORE if row.pop("cued") else names.BARE_SCORE) and \
                score > best.get(row["id"], {}).get("score", 0.0):
            best[row["id"]] = {**row, "score": round(score, 3)}
    return sorted(best.values(), key=lambda m: (-m["score"], m["id"]))[:MAX_MATCHES]


def get_order_status(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    raw = _text_arg(args, "order_id")
    number = digits_of(raw)
    if not 4 <= len(number) <= 10:
        raise ToolError("invalid_argument", f"{raw!r} is not an order number")
    rows = records(con.execute(
        "SELECT o.order_number, o.status, o.product_id, o.product_name, o.amount, "
        "o.order_date, o.shipped_at, o.carrier, o.tracking_number, o.eta, o.delivered_at, "
        "c.id AS customer_id, c.name AS customer_name, c.account_number AS customer_account, "
        "c.tier AS customer_tier "
        "FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.order_number = $1",
        [number],
    ))
    if not rows:
        raise ToolError("not_found", f"no order #{number}")
    return {"order": rows[0]}


def check_return_policy(con: duckdb.DuckDBPyConnection, args: dict[str, Any],
                        today: dt.date | None = None) -> dict[str, Any]:
    """The product's return terms, read from the knowledge base row its category points at
    (the same row a policy search finds); with an order, whether it can still be returned on
    ``today`` (the engine's date: a replayed or evaluated call is judged on its own day)."""
    product = _text_arg(args, "product_id")
    order_arg = _text_arg(args, "order_id", required=False)
    select = ("SELECT p.id AS product_id, p.name, p.category, p.price, p.return_window_days, "
              "k.id AS policy_id, k.title AS policy_title, k.body AS return_policy "
              "FROM products p LEFT JOIN policies k ON k.id = p.return_policy ")
    rows = records(con.execute(select + "WHERE upper(p.id) = upper($1)", [product]))
    if not rows:
        rows = records(con.execute(
            select + "WHERE jaro_winkler_similarity(lower(p.name), lower($1)) >= 0.85 "
            "ORDER BY jaro_winkler_similarity(lower(p.name), lower($1)) DESC LIMIT 1",
            [product],
        ))
    if not rows:
        raise ToolError("not_found", f"no product {product!r}")
    if rows[0]["return_policy"] is None:
        raise ToolError("not_found", f"the knowledge base has no return terms for "
                        f"{rows[0]['name']} (policy {rows[0]['policy_id']!r})")
    result: dict[str, Any] = {"product": rows[0]}
    if order_arg is not None:
        order = get_order_status(con, {"order_id": order_arg})["order"]
        window = rows[0]["return_window_days"]
        delivered = order["delivered_at"] or order["eta"]
        if delivered is None or order["status"] in ("processing", "shipped"):
            eligible, deadline = window > 0, None
        else:
            deadline_date = dt.date.fromisoformat(delivered[:10]) + dt.timedelta(days=window)
            eligible = (today or dt.date.today()) <= deadline_date
            deadline = deadline_date.isoformat()
        result["order"] = {"order_number": order["order_number"], "status": order["status"],
                           "returnable": eligible, "return_by": deadline}
    return result


def search_knowledge(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    query = _text_arg(args, "query")
    matches = knowledge.search(con, query)
    for m in matches:
        m["score"] = round(m["score"], 3)
    return {"query": query, "matches": matches}


TOOLS: dict[str, Callable[[duckdb.DuckDBPyConnection, dict[str, Any]], dict[str, Any]]] = {
    "lookup_customer": lookup_customer,
    "get_order_status": get_order_status,
    "check_return_policy": check_return_policy,
    "search_knowledge": search_knowledge,
}


def call_tool(con: duckdb.DuckDBPyConnection, name: str, arguments: Any,
              tools: Mapping[str, Callable[..., dict[str, Any]]] = TOOLS) -> dict[str, Any]:
    """Run tool ``name`` of ``tools``; ``arguments`` is a dict or the JSON text a model
    produced. Errors come back as ``{"error": {...}}``, never raised."""
    tool = tools.get(name)
    if tool is None:
        return _error("unknown_tool", f"no tool named {name!r}")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return _error("invalid_arguments", f"arguments are not valid JSON: {exc.msg}")
        except (ValueError, RecursionError):  # a 5,000-digit number, or nesting too deep
            return _error("invalid_arguments", "arguments are not JSON this tool can read")
    if not isinstance(arguments, dict):
        return _error("invalid_arguments", "arguments must be a JSON object")
    try:
        return tool(con, arguments)
    except ToolError as exc:
        return _error(exc.code, exc.message)
    except duckdb.Error as exc:
        return _error("database_error", str(exc).splitlines()[0])


class ToolRunner:
    """Runs tools on the database thread and reports each call (for the ToolCall event).

    ``run`` is the database's ``run(fn, *args)``; ``report`` receives
    (name, arguments, result, seconds) after every call.
    """

    def __init__(self, run: Callable[..., Any],
                 report: Callable[[str, dict[str, Any], dict[str, Any], float], None],
                 overrides: Mapping[str, Callable[..., dict[str, Any]]] | None = None,
                 today: dt.date | None = None):
        self._run = run
        self._report = report
        self.today = today or dt.date.today()
        self._products: list[dict[str, Any]] | None = None
        dated = {"check_return_policy": functools.partial(check_return_policy, today=self.today)}
        # Tools from callkit.extensions replace built-in ones of the same name.
        self.tools = {**TOOLS, **dated, **(overrides or {})}

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        result = await self._run(call_tool, name, arguments, self.tools)
        self._report(name, arguments, result, time.perf_counter() - started)
        return result

    async def customer_context(self, customer_id: int) -> dict[str, Any] | None:
        try:
            return await self._run(customer_context, customer_id)
        except LookupError:
            return None

    async def latest_bill(self, customer_id: int) -> dict[str, Any] | None:
        return await self._run(latest_bill, customer_id)

    async def recommend_product(self, customer_id: int) -> dict[str, Any] | None:
        return await self._run(recommend_product, customer_id)

    async def products(self) -> list[dict[str, Any]]:
        """The catalogue (a few dozen rows): id, name, category."""
        if self._products is None:
            self._products = await self._run(lambda con: records(con.execute(
                "SELECT id, name, category FROM products ORDER BY id")))
        return self._products

    async def policies(self) -> dict[str, dict[str, Any]]:
        """The knowledge base's rows by id (a few dozen: read whole, once per call)."""
        return await self._run(_policies)


def _policies(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in records(con.execute(
        "SELECT id, title, body, kind, topic, category FROM policies"))}
