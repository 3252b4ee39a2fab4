"""The assistant's tools: OpenAI function schemas and one DuckDB implementation each.

Every tool takes a DuckDB connection plus the model's arguments and returns a JSON-able
dict. Bad input never raises: it returns ``{"error": {"code", "message"}}``, which an engine
can show to the agent or hand back to a model. All SQL is parameterized.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import duckdb

from .spoken import digits_of, normalize_email

NAME_MIN_SCORE = 0.80
MAX_MATCHES = 5

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_customer",
            "description": "Search customers by name, email, phone or account number. "
            "Names may be misspelled or spoken; returns ranked matches with scores.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "search_type": {"enum": ["name", "email", "phone", "account"]},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Check an order's status, carrier and ETA by order number "
            "(digits, '#78901' or spoken digits).",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "check_return_policy",
            "description": "Get the return policy for a product (id like 'P-1001' or its "
            "name); with an order number, also whether that order can still be returned.",
            "parameters": {
                "type": "object",
                "properties": {
                    "product_id": {"type": "string"},
                    "order_id": {"type": "string"},
                },
                "required": ["product_id"],
            },
        },
    },
]


class ToolError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _text_arg(args: dict[str, Any], name: str, required: bool = True) -> str | None:
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
    if len(text) > 200:
        raise ToolError("invalid_argument", f"'{name}' is too long")
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """A query's rows as JSON-able dicts (dates as ISO text, decimals as floats): the shape
    every tool returns, so a result can go to a model, an event or a widget as it is."""
    names = [d[0] for d in cursor.description]
    return [{n: _jsonable(v) for n, v in zip(names, row)} for row in cursor.fetchall()]


_CUSTOMER_COLUMNS = ("id, name, email, phone, account_number, tier, status, "
                     "lifetime_value, created_at")


def lookup_customer(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    query = _text_arg(args, "query")
    search_type = _text_arg(args, "search_type", required=False) or "name"
    if search_type == "name":
        name = re.sub(r"[^a-z' -]", "", query.lower()).strip()
        if len(name) < 2:
            raise ToolError("invalid_argument", "a name needs at least two letters")
        cur = con.execute(
            f"SELECT {_CUSTOMER_COLUMNS}, jaro_winkler_similarity(lower(name), $1) AS score "
            "FROM customers WHERE score >= $2 ORDER BY score DESC, id LIMIT $3",
            [name, NAME_MIN_SCORE, MAX_MATCHES],
        )
    elif search_type == "email":
        email = normalize_email(query) or query.lower().replace(" ", "")
        cur = con.execute(
            f"SELECT {_CUSTOMER_COLUMNS}, jaro_winkler_similarity(lower(email), $1) AS score "
            "FROM customers WHERE score >= 0.9 ORDER BY score DESC, id LIMIT $2",
            [email, MAX_MATCHES],
        )
    elif search_type == "phone":
        digits = digits_of(query)
        if len(digits) < 7:
            raise ToolError("invalid_argument", "a phone number needs at least 7 digits")
        cur = con.execute(
            f"SELECT {_CUSTOMER_COLUMNS}, 1.0 AS score FROM customers "
            "WHERE regexp_replace(phone, '[^0-9]', '', 'g') LIKE '%' || $1 "
            "ORDER BY id LIMIT $2",
            [digits[-10:], MAX_MATCHES],
        )
    elif search_type == "account":
        digits = digits_of(query)
        if not digits:
            raise ToolError("invalid_argument", "an account number needs digits")
        cur = con.execute(
            f"SELECT {_CUSTOMER_COLUMNS}, 1.0 AS score FROM customers WHERE account_number = $1",
            [digits],
        )
    else:
        raise ToolError("invalid_argument",
                        "search_type must be one of name, email, phone, account")
    matches = records(cur)
    for m in matches:
        m["score"] = round(m["score"], 3)
    return {"query": query, "search_type": search_type, "matches": matches}


def get_order_status(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    raw = _text_arg(args, "order_id")
    number = digits_of(raw)
    if not 4 <= len(number) <= 10:
        raise ToolError("invalid_argument", f"{raw!r} is not an order number")
    rows = records(con.execute(
        "SELECT o.order_number, o.status, o.product_id, o.product_name, o.amount, "
        "o.order_date, o.shipped_at, o.carrier, o.tracking_number, o.eta, o.delivered_at, "
        "c.id AS customer_id, c.name AS customer_name "
        "FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.order_number = $1",
        [number],
    ))
    if not rows:
        raise ToolError("not_found", f"no order #{number}")
    return {"order": rows[0]}


def check_return_policy(con: duckdb.DuckDBPyConnection, args: dict[str, Any]) -> dict[str, Any]:
    product = _text_arg(args, "product_id")
    order_arg = _text_arg(args, "order_id", required=False)
    columns = "id AS product_id, name, category, price, return_window_days, return_policy"
    rows = records(con.execute(
        f"SELECT {columns} FROM products WHERE upper(id) = upper($1)", [product]))
    if not rows:
        rows = records(con.execute(
            f"SELECT {columns} FROM products "
            "WHERE jaro_winkler_similarity(lower(name), lower($1)) >= 0.85 "
            "ORDER BY jaro_winkler_similarity(lower(name), lower($1)) DESC LIMIT 1",
            [product],
        ))
    if not rows:
        raise ToolError("not_found", f"no product {product!r}")
    result: dict[str, Any] = {"product": rows[0]}
    if order_arg is not None:
        order = get_order_status(con, {"order_id": order_arg})["order"]
        window = rows[0]["return_window_days"]
        delivered = order["delivered_at"] or order["eta"]
        if delivered is None or order["status"] in ("processing", "shipped"):
            eligible, deadline = window > 0, None
        else:
            deadline_date = dt.date.fromisoformat(delivered[:10]) + dt.timedelta(days=window)
            eligible, deadline = dt.date.today() <= deadline_date, deadline_date.isoformat()
        result["order"] = {"order_number": order["order_number"], "status": order["status"],
                           "returnable": eligible, "return_by": deadline}
    return result


TOOLS: dict[str, Callable[[duckdb.DuckDBPyConnection, dict[str, Any]], dict[str, Any]]] = {
    "lookup_customer": lookup_customer,
    "get_order_status": get_order_status,
    "check_return_policy": check_return_policy,
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
    if not isinstance(arguments, dict):
        return _error("invalid_arguments", "arguments must be a JSON object")
    try:
        return tool(con, arguments)
    except ToolError as exc:
        return _error(exc.code, exc.message)
    except duckdb.Error as exc:
        return _error("database_error", str(exc).splitlines()[0])


def customer_context(con: duckdb.DuckDBPyConnection, customer_id: int) -> dict[str, Any]:
    """Profile, recent orders, open tickets, notes and the last bill of one customer."""
    profile = records(con.execute(
        f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE id = $1", [customer_id]))
    if not profile:
        raise ToolError("not_found", f"no customer {customer_id}")
    orders = records(con.execute(
        "SELECT order_number, product_id, product_name, amount, status, order_date, carrier, "
        "eta FROM orders WHERE customer_id = $1 ORDER BY order_date DESC LIMIT 5",
        [customer_id]))
    tickets = records(con.execute(  # open ones first, then the latest resolved
        "SELECT ticket_number, subject, status, priority, created_at, resolved_at FROM tickets "
        "WHERE customer_id = $1 ORDER BY status IN ('open', 'pending') DESC, created_at DESC "
        "LIMIT 8", [customer_id]))
    notes = records(con.execute(
        "SELECT kind, text, created_at FROM customer_notes WHERE customer_id = $1 "
        "ORDER BY created_at DESC", [customer_id]))
    last = con.execute(
        "SELECT created_at, subject FROM tickets WHERE customer_id = $1 "
        "ORDER BY created_at DESC LIMIT 1", [customer_id]).fetchone()
    profile[0]["last_contact"] = _jsonable(last[0]) if last else None
    profile[0]["last_issue"] = last[1] if last else None
    past_calls = records(con.execute(
        "SELECT c.start_time, s.reason, s.resolution, s.sentiment FROM calls c "
        "JOIN call_summaries s USING (call_id) WHERE c.customer_id = $1 "
        "ORDER BY c.start_time DESC LIMIT 3", [customer_id]))
    return {"customer": profile[0], "orders": orders, "tickets": tickets, "notes": notes,
            "past_calls": past_calls}


def latest_bill(con: duckdb.DuckDBPyConnection, customer_id: int) -> dict[str, Any] | None:
    """The most recent bill with its lines, and the one before it for comparison."""
    bills = records(con.execute(
        "SELECT id, billed_on, total FROM invoices WHERE customer_id = $1 "
        "ORDER BY billed_on DESC LIMIT 2", [customer_id]))
    if not bills:
        return None
    lines = records(con.execute(
        "SELECT description, amount FROM invoice_lines WHERE invoice_id = $1 "
        "ORDER BY amount DESC", [bills[0]["id"]]))
    previous = bills[1]["total"] if len(bills) > 1 else None
    return {"billed_on": bills[0]["billed_on"], "total": bills[0]["total"], "lines": lines,
            "previous_total": previous}


COMPLEMENTS = {"electronics": "accessories", "accessories": "electronics",
               "apparel": "apparel", "home": "home"}


def recommend_product(con: duckdb.DuckDBPyConnection, customer_id: int) -> dict[str, Any] | None:
    """A product that fits what the customer bought last and that they do not own yet;
    ``goes_with`` is that last purchase (what a suggestion cites)."""
    last = records(con.execute(
        "SELECT p.category, o.order_number, o.product_name FROM orders o "
        "JOIN products p ON p.id = o.product_id "
        "WHERE o.customer_id = $1 ORDER BY o.order_date DESC LIMIT 1", [customer_id]))
    if not last or last[0]["category"] not in COMPLEMENTS:
        return None
    rows = records(con.execute(
        "SELECT id, name, price FROM products WHERE category = $1 AND id NOT IN "
        "(SELECT product_id FROM orders WHERE customer_id = $2 AND product_id IS NOT NULL) "
        "ORDER BY price LIMIT 1", [COMPLEMENTS[last[0]["category"]], customer_id]))
    return {**rows[0], "goes_with": last[0]} if rows else None


def policies(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """The knowledge base's policies by id (a handful of rows: read whole, once per call)."""
    return {row["id"]: row for row in records(con.execute("SELECT id, title, body FROM policies"))}


class ToolRunner:
    """Runs tools on the database thread and reports each call (for the ToolCall event).

    ``run`` is the database's ``run(fn, *args)``; ``report`` receives
    (name, arguments, result, seconds) after every call.
    """

    def __init__(self, run: Callable[..., Any],
                 report: Callable[[str, dict[str, Any], dict[str, Any], float], None],
                 overrides: Mapping[str, Callable[..., dict[str, Any]]] | None = None):
        self._run = run
        self._report = report
        # Tools from callkit.extensions replace built-in ones of the same name.
        self.tools = {**TOOLS, **(overrides or {})}

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        result = await self._run(call_tool, name, arguments, self.tools)
        self._report(name, arguments, result, time.perf_counter() - started)
        return result

    async def customer_context(self, customer_id: int) -> dict[str, Any] | None:
        try:
            return await self._run(customer_context, customer_id)
        except ToolError:
            return None

    async def latest_bill(self, customer_id: int) -> dict[str, Any] | None:
        return await self._run(latest_bill, customer_id)

    async def recommend_product(self, customer_id: int) -> dict[str, Any] | None:
        return await self._run(recommend_product, customer_id)

    async def policies(self) -> dict[str, dict[str, Any]]:
        return await self._run(policies)
