"""Rows a scenario adds to a freshly seeded database (``callkit eval assistant``, tests).

Fixtures use the seed schema's column names; orders, tickets and invoices name their customer
by ``account_number``, as a person would. A fixture row wins over a seeded row it clashes
with (same account number, e-mail or order number): the seeded row and everything that hangs
off it are removed first, so a scenario holds whatever the seed generates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb


CUSTOMER_DEFAULTS = {"phone": None, "tier": "standard", "status": "active",
                     "lifetime_value": 500.0, "created_at": "2024-01-01"}
ORDER_DEFAULTS = {"status": "delivered", "shipped_at": None, "carrier": None,
                  "tracking_number": None, "eta": None, "delivered_at": None}
KNOWN = {"customers", "orders", "tickets", "invoices", "notes", "policies"}


class FixtureError(ValueError):
    """A fixture that cannot be added, with what is wrong with it."""


def apply_fixtures(con: duckdb.DuckDBPyConnection, fixtures: dict[str, list[dict]]) -> None:
    unknown = set(fixtures) - KNOWN
    if unknown:
        raise FixtureError(f"unknown fixture tables {sorted(unknown)}; known: {sorted(KNOWN)}")
    for row in fixtures.get("customers", ()):
        _customer(con, row)
    for row in fixtures.get("orders", ()):
        _order(con, row)
    for row in fixtures.get("tickets", ()):
        _ticket(con, row)
    for row in fixtures.get("invoices", ()):
        _invoice(con, row)
    for row in fixtures.get("notes", ()):
        con.execute("INSERT INTO customer_notes VALUES ($1, $2, $3, $4)",
                    [_owner(con, row), row.get("kind", "note"), _need(row, "text", "note"),
                     row.get("created_at", "2026-01-01")])
    if fixtures.get("policies"):
        for row in fixtures["policies"]:
            con.execute("DELETE FROM policies WHERE id = $1", [_need(row, "id", "policy")])
            con.execute("INSERT INTO policies (id, title, body, kind, topic, category) "
                        "VALUES ($1, $2, $3, $4, $5, $6)",
                        [row["id"], _need(row, "title", "policy"), _need(row, "body", "policy"),
                         row.get("kind", "faq"), row.get("topic", "knowledge"),
                         row.get("category")])


def _need(row: dict[str, Any], column: str, what: str) -> Any:
    if row.get(column) in (None, ""):
        raise FixtureError(f"a {what} fixture needs {column!r}: {row}")
    return row[column]


def _owner(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> int:
    account = str(_need(row, "account_number", "row"))
    found = con.execute("SELECT id FROM customers WHERE account_number = $1", [account]).fetchone()
    if found is None:
        raise FixtureError(f"no customer with account number {account} (add it to "
                           "fixtures.customers first)")
    return found[0]


def _remove_customers(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    # Children first, each statement committed on its own: DuckDB checks foreign keys against
    # the state before a transaction began.
    con.execute("DELETE FROM invoice_lines WHERE invoice_id IN "
                "(SELECT id FROM invoices WHERE customer_id IN (SELECT unnest($1)))", [ids])
    for table in ("invoices", "customer_notes", "tickets", "orders"):
        con.execute(f"DELETE FROM {table} WHERE customer_id IN (SELECT unnest($1))", [ids])
    con.execute("DELETE FROM customers WHERE id IN (SELECT unnest($1))", [ids])


def _customer(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    row = {**CUSTOMER_DEFAULTS, **row}
    name, account = _need(row, "name", "customer"), str(_need(row, "account_number", "customer"))
    email = row.get("email")
    clashes = [r[0] for r in con.execute(
        "SELECT id FROM customers WHERE account_number = $1 OR email = $2",
        [account, email]).fetchall()]
    if clashes:
        _remove_customers(con, clashes)
    con.execute(  # an order number equal to the new account number would make it ambiguous
        "DELETE FROM orders WHERE order_number = $1", [account])
    con.execute(
        "INSERT INTO customers (id, name, email, phone, account_number, tier, status, "
        "lifetime_value, created_at) SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, $6, "
        "$7, $8 FROM customers",
        [name, email, row["phone"], account, row["tier"], row["status"], row["lifetime_value"],
         row["created_at"]])


def _order(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    row = {**ORDER_DEFAULTS, **row}
    owner = _owner(con, row)
    number = str(_need(row, "order_number", "order"))
    product_id = row.get("product_id")
    name = row.get("product_name")
    if product_id is None and name is None:
        raise FixtureError(f"an order fixture needs product_id or product_name: {row}")
    product = con.execute("SELECT id, name, price FROM products WHERE id = $1 OR name = $2",
                          [product_id, name]).fetchone()
    if product is None and product_id is not None:
        raise FixtureError(f"no product {product_id!r}")
    con.execute("DELETE FROM orders WHERE order_number = $1", [number])
    con.execute(
        "INSERT INTO orders (customer_id, order_number, product_id, product_name, amount, "
        "status, order_date, shipped_at, carrier, tracking_number, eta, delivered_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [owner, number, product[0] if product else None, name or product[1],
         row.get("amount", product[2] if product else 0), row["status"],
         _need(row, "order_date", "order"), row["shipped_at"], row["carrier"],
         row["tracking_number"], row["eta"], row["delivered_at"]])


def _ticket(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    owner = _owner(con, row)
    number = row.get("ticket_number") or "T-" + str(900000 + con.execute(
        "SELECT count(*) FROM tickets").fetchone()[0])
    con.execute("DELETE FROM tickets WHERE ticket_number = $1", [number])
    con.execute(
        "INSERT INTO tickets (customer_id, ticket_number, subject, status, priority, created_at, "
        "resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [owner, number, _need(row, "subject", "ticket"), row.get("status", "open"),
         row.get("priority", "normal"), row.get("created_at", dt.date.today().isoformat()),
         row.get("resolved_at")])


def _invoice(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    owner = _owner(con, row)
    lines = row.get("lines") or []
    total = row.get("total", sum(float(line["amount"]) for line in lines))
    # The seed numbers invoices itself, so the table's sequence cannot be trusted here.
    invoice_id = con.execute(
        "INSERT INTO invoices (id, customer_id, billed_on, total) "
        "SELECT coalesce(max(id), 0) + 1, $1, $2, $3 FROM invoices RETURNING id",
        [owner, _need(row, "billed_on", "invoice"), total]).fetchone()[0]
    for line in lines:
        con.execute("INSERT INTO invoice_lines VALUES ($1, $2, $3)",
                    [invoice_id, _need(line, "description", "invoice line"),
                     _need(line, "amount", "invoice line")])
