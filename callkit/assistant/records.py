"""Rows about one customer, as JSON-able dicts: the customer panel's context, their latest
bill, a product to recommend. Read by the engines directly (not tools a model calls)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb

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


CUSTOMER_COLUMNS = ("id, name, email, phone, account_number, tier, status, "
                     "lifetime_value, created_at")


def customer_context(con: duckdb.DuckDBPyConnection, customer_id: int) -> dict[str, Any]:
    """Profile, recent orders, open tickets, notes and the last bill of one customer."""
    profile = records(con.execute(
        f"SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1", [customer_id]))
    if not profile:
        raise LookupError(f"no customer {customer_id}")
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
