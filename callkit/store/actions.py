"""What each quick action of the agent's console does in the database.

The recorder hands every AgentAction to :func:`record_action`. The agent_actions row (the log
of what the agent did) is always written; a quick action also writes the row it stands for,
pointing back at that log row through ``action_id``:

  discount_10  credits: 10 % of the order under discussion, or else of the latest bill
  waive_fee    fee_reversals: the fee line of the customer's latest bill
  escalate     escalations, plus the caller's ticket escalated (or a new escalated ticket)
  callback     callbacks: due the next business day unless the payload says when

The customer is the payload's ``customer_id`` (``Call.act`` puts the identified caller there),
else the one the recorder stored on the call. The order is the payload's ``order_number``, else
the last order a tool looked up on this call. Missing data never raises: the row is written
anyway, and money that cannot move yet is 'held' with a ``hold_reason``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from ..events import AgentAction
from .db import transaction

log = logging.getLogger(__name__)

DISCOUNT_PERCENT = Decimal(10)
# An open ticket created this recently is taken to be the case the caller is calling about
# again; an older one is backlog on some other matter, and escalating it would send the
# supervisor to the wrong case (the seed has "open" tickets a year old).
REPEAT_CONTACT_DAYS = 14
CALLBACK_HOUR, EVENING_HOUR = 10, 18  # POL-CALLBACK: follow-ups within one business day


def record_action(con: duckdb.DuckDBPyConnection, event: AgentAction) -> None:
    action_id = con.execute(
        "INSERT INTO agent_actions (call_id, action, payload, timestamp) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        [event.call_id, event.action, json.dumps({**event.payload, "at_s": event.at_s},
                                                 default=str), _ts(event.wall)]).fetchone()[0]
    writer = WRITERS.get(event.action)
    if writer is None:  # a quick response ("template"): the log row is all there is
        return
    # Its own transaction: a failure leaves no half-written escalation (ticket updated, no
    # escalation row), and the agent_actions row above is kept whatever happens here.
    try:
        with transaction(con):
            writer(con, _context(con, event, action_id))
    except Exception:
        log.exception("quick action %s on call %s: only agent_actions was written",
                      event.action, event.call_id)


@dataclass
class _Action:
    action_id: int
    call_id: str
    at: dt.datetime
    payload: dict[str, Any]
    customer: dict[str, Any] | None
    order_number: str | None
    order: dict[str, Any] | None       # the order row, when it is this customer's
    problems: list[str] = field(default_factory=list)  # why money would be held

    @property
    def customer_id(self) -> int | None:
        return self.customer["id"] if self.customer else None

    def text(self, *keys: str) -> str | None:
        for key in keys:
            value = self.payload.get(key)
            if value not in (None, ""):
                return str(value)[:500]
        return None


def _ts(wall: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(wall)


def _one(con, sql: str, params: list) -> dict[str, Any] | None:
    cur = con.execute(sql, params)
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row))


def _context(con, event: AgentAction, action_id: int) -> _Action:
    payload, problems = dict(event.payload), []
    customer_id = payload.get("customer_id")
    if customer_id is None:
        row = con.execute("SELECT customer_id FROM calls WHERE call_id = $1",
                          [event.call_id]).fetchone()
        customer_id = row[0] if row else None
    customer = None
    if customer_id is not None:
        customer = _one(con, "SELECT id, phone FROM customers WHERE TRY_CAST($1 AS INTEGER) "
                        "= id", [str(customer_id)])
        if customer is None:
            problems.append(f"customer {customer_id} is not on file")
    if customer is None and not problems:
        problems.append("no customer identified on the call yet")

    number = str(payload.get("order_number") or "").strip().lstrip("#") or None
    from_payload = number is not None
    if number is None:  # the order the call is about: the last one a tool looked up
        row = con.execute(
            "SELECT json_extract_string(result, '$.order.order_number') FROM tool_calls "
            "WHERE call_id = $1 AND json_extract_string(result, '$.order.order_number') "
            "IS NOT NULL ORDER BY id DESC LIMIT 1", [event.call_id]).fetchone()
        number = row[0] if row else None
    order = None
    if number is not None:
        order = _one(con, "SELECT order_number, customer_id, amount FROM orders "
                     "WHERE order_number = $1", [number])
        theirs = order is not None and (customer is None
                                        or order["customer_id"] == customer["id"])
        if not theirs:
            if from_payload:  # what the agent named is kept, but nothing is taken from it
                problems.append(f"order #{number} is not on file" if order is None
                                else f"order #{number} is not this customer's")
            else:  # a lookup of someone else's number is not what the call is about
                number = None
            order = None
    return _Action(action_id=action_id, call_id=event.call_id, at=_ts(event.wall),
                   payload=payload, customer=customer, order_number=number, order=order,
                   problems=problems)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal | None:
    try:
        amount = _cents(Decimal(str(value)))
    except ArithmeticError:  # None, "", "thirty": take the fee from the bill instead
        return None
    return amount if amount > 0 else None


def _latest_invoice(con, customer_id: int) -> dict[str, Any] | None:
    return _one(con, "SELECT id, total FROM invoices WHERE customer_id = $1 "
                "ORDER BY billed_on DESC, id DESC LIMIT 1", [customer_id])


def _credit(con, a: _Action) -> None:
    base, invoice_id = None, None
    if a.order is not None:
        base = a.order["amount"]
    elif a.order_number is None and a.customer is not None:  # no order: discount the bill
        invoice = _latest_invoice(con, a.customer_id)
        if invoice is not None:
            base, invoice_id = invoice["total"], invoice["id"]
        else:
            a.problems.append("no order under discussion and no bill to discount")
    amount = None if base is None else _cents(Decimal(base) * DISCOUNT_PERCENT / 100)
    if amount is not None and not a.problems:
        # A second click on the same order or bill would pay the discount twice.
        twice = con.execute(
            "SELECT id FROM credits WHERE status = 'applied' AND customer_id = $1 AND "
            "(order_number = $2 OR invoice_id = $3) LIMIT 1",
            [a.customer_id, a.order_number, invoice_id]).fetchone()
        if twice:
            a.problems.append(f"already discounted (credit {twice[0]})")
    if amount is None and not a.problems:
        a.problems.append("nothing to take the discount from")
    con.execute(
        "INSERT INTO credits (action_id, call_id, customer_id, order_number, invoice_id, "
        "percent, amount, reason, status, hold_reason, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [a.action_id, a.call_id, a.customer_id, a.order_number, invoice_id, DISCOUNT_PERCENT,
         amount, a.text("reason", "text") or "10% goodwill discount given on the call",
         "held" if a.problems else "applied", "; ".join(a.problems) or None, a.at])


def _fee_reversal(con, a: _Action) -> None:
    invoice_id, fee, amount = None, a.text("fee"), _money(a.payload.get("amount"))
    if a.customer is not None and (fee is None or amount is None):
        invoice = _latest_invoice(con, a.customer_id)
        # A fee is any line but the plan itself: the recurring charge is what the customer
        # bought; overage and the like are what an agent may waive (POL-BILL).
        line = invoice and _one(
            con, "SELECT description, amount FROM invoice_lines WHERE invoice_id = $1 AND "
            "description NOT ILIKE '%plan%' AND ($2 IS NULL OR description = $2) "
            "ORDER BY amount DESC LIMIT 1", [invoice["id"], fee])
        if line:
            invoice_id, fee = invoice["id"], line["description"]
            amount = amount if amount is not None else line["amount"]
        elif amount is None:
            a.problems.append("no fee on the latest bill")
    if invoice_id is not None and not a.problems:
        twice = con.execute(
            "SELECT id FROM fee_reversals WHERE status = 'applied' AND invoice_id = $1 "
            "AND fee = $2 LIMIT 1", [invoice_id, fee]).fetchone()
        if twice:
            a.problems.append(f"already waived (fee reversal {twice[0]})")
    if amount is None and not a.problems:
        a.problems.append("no fee amount known")
    con.execute(
        "INSERT INTO fee_reversals (action_id, call_id, customer_id, order_number, invoice_id, "
        "fee, amount, reason, status, hold_reason, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [a.action_id, a.call_id, a.customer_id, a.order_number, invoice_id, fee, amount,
         a.text("reason", "text") or "fee waived by the agent on the call",
         "held" if a.problems else "applied", "; ".join(a.problems) or None, a.at])


def _escalation(con, a: _Action) -> None:
    """A real desk escalates the case, not the phone call: the caller's ticket for this matter
    goes to the supervisor queue (status 'escalated', priority raised to at least high) so its
    history travels with it, and a duplicate ticket would split that history. Only when the
    caller has no recent open ticket is a new escalated ticket opened, so the supervisor queue
    always has a work item. Without a customer there is nobody to hold a ticket: the
    escalation row alone tells the supervisor to pick it up from the call."""
    ticket, how = None, None
    if a.customer is not None:
        named = a.text("ticket_number")
        ticket = _one(
            con, "SELECT ticket_number, status FROM tickets WHERE customer_id = $1 AND "
            + ("ticket_number = $2" if named else
               "status IN ('open', 'pending', 'escalated') AND created_at >= $2")
            + " ORDER BY created_at DESC LIMIT 1",
            [a.customer_id, named or a.at - dt.timedelta(days=REPEAT_CONTACT_DAYS)])
        if named and ticket is None:
            a.problems.append(f"ticket {named} is not this customer's: opened a new one")
        if ticket is not None and ticket["status"] == "escalated":
            how = "linked"
        elif ticket is not None:
            how = "escalated"
            con.execute("UPDATE tickets SET status = 'escalated', priority = CASE WHEN "
                        "priority = 'urgent' THEN 'urgent' ELSE 'high' END "
                        "WHERE ticket_number = $1", [ticket["ticket_number"]])
        else:
            how = "opened"
            number = con.execute(
                "SELECT 'T-' || (coalesce(max(TRY_CAST(substr(ticket_number, 3) AS INTEGER)), "
                "100000) + 1) FROM tickets WHERE ticket_number LIKE 'T-%'").fetchone()[0]
            subject = a.text("subject") or (f"Escalated call about order #{a.order_number}"
                                            if a.order_number else "Escalated call")
            con.execute("INSERT INTO tickets (customer_id, ticket_number, subject, status, "
                        "priority, created_at) VALUES ($1, $2, $3, 'escalated', 'high', $4)",
                        [a.customer_id, number, subject, a.at])
            ticket = {"ticket_number": number}
    reason = "; ".join([a.text("reason", "text") or "escalated to a supervisor by the agent",
                        *a.problems])
    con.execute(
        "INSERT INTO escalations (action_id, call_id, customer_id, order_number, ticket_number, "
        "ticket_action, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [a.action_id, a.call_id, a.customer_id, a.order_number,
         ticket and ticket["ticket_number"], how, reason, a.at])


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday (public holidays are not modelled)
        day += dt.timedelta(days=1)
    return day


def _callback(con, a: _Action) -> None:
    notes: list[str] = []
    due = None
    asked = a.payload.get("due_at")
    if asked is not None:
        try:
            due = asked if isinstance(asked, dt.datetime) else dt.datetime.fromisoformat(
                str(asked))
        except ValueError:
            notes.append(f"due_at {asked!r} not understood")
        if due is not None and due.tzinfo is not None:  # stored as local wall time
            due = due.astimezone().replace(tzinfo=None)
        if due is not None and due <= a.at:
            notes.append(f"due_at {asked} is past")
            due = None
    if due is None:
        hour = CALLBACK_HOUR
        if a.customer is not None and con.execute(
                "SELECT count(*) FROM customer_notes WHERE customer_id = $1 AND "
                "text ILIKE '%evening%'", [a.customer_id]).fetchone()[0]:
            hour = EVENING_HOUR  # the customer asked to be called in the evening
        due = dt.datetime.combine(next_business_day(a.at.date()), dt.time(hour))
    phone = a.text("phone") or (a.customer or {}).get("phone")
    note = "; ".join(filter(None, [a.text("note", "text"), *a.problems, *notes])) or None
    con.execute(
        "INSERT INTO callbacks (action_id, call_id, customer_id, order_number, phone, due_at, "
        "status, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'scheduled', $7, $8)",
        [a.action_id, a.call_id, a.customer_id, a.order_number, phone, due, note, a.at])


WRITERS = {"discount_10": _credit, "waive_fee": _fee_reversal, "escalate": _escalation,
           "callback": _callback}
