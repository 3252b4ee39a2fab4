"""Quick actions write real rows: a credit, a fee reversal, an escalated ticket, a callback.

Events go through a real bus to a real Recorder on a copy of the seeded DuckDB file, the way
a call's quick-action buttons reach the database.
"""

import datetime as dt
from decimal import Decimal

import pytest

from callkit.bus import Bus
from callkit.events import AgentAction, CallStarted, CustomerContext, ToolCall
from callkit.store.db import Database
from callkit.store.recorder import RECORDED, Recorder
from callkit.store.seed import SARAH_ORDER

FRIDAY = dt.datetime(2026, 11, 27, 15, 30)  # the day of the actions below


@pytest.fixture
def db(seeded_db_file, tmp_path):
    path = tmp_path / "actions.duckdb"
    path.write_bytes(seeded_db_file.read_bytes())
    with Database(path) as database:
        yield database


def q(db, sql, *params):
    return db.run_sync(lambda con: con.execute(sql, list(params)).fetchall())


def customer(db, name):
    return q(db, "SELECT id FROM customers WHERE name = ?", name)[0][0]


async def call(db, cid, *events, customer_id=None, at=FRIDAY):
    """Start call ``cid`` (with its caller identified if ``customer_id``), then ``events``;
    AgentAction stand-ins are ``(action, payload)`` pairs, sent as ``Call.act`` sends them."""
    bus = Bus()
    bus.subscribe(Recorder(db).handle, *RECORDED, name="recorder")
    bus.publish(CallStarted(call_id=cid, agent_name="Ana"))
    if customer_id is not None:
        bus.publish(CustomerContext(call_id=cid, customer={"id": customer_id}))
    for event in events:
        if isinstance(event, tuple):
            action, payload = event
            if customer_id is not None:
                payload = {"customer_id": customer_id, **payload}
            event = AgentAction(call_id=cid, action=action, at_s=12.0, payload=payload,
                                wall=at.timestamp())
        bus.publish(event)
    await bus.drain()
    await bus.close()


def order_lookup(cid, number):
    return ToolCall(call_id=cid, name="get_order_status", arguments={"order_id": number},
                    result={"order": {"order_number": number, "status": "shipped"}},
                    duration_s=0.01)


async def test_a_discount_credits_the_order_the_call_is_about_once(db):
    sarah = customer(db, "Sarah Johnson")
    await call(db, "c1", order_lookup("c1", SARAH_ORDER), ("discount_10", {}),
               ("discount_10", {}), customer_id=sarah)
    credits = q(db, "SELECT customer_id, order_number, invoice_id, percent, amount, status, "
                "hold_reason FROM credits WHERE call_id = 'c1' ORDER BY id")
    first_id = q(db, "SELECT min(id) FROM credits")[0][0]
    assert credits == [
        (sarah, SARAH_ORDER, None, Decimal("10.00"), Decimal("20.00"), "applied", None),
        (sarah, SARAH_ORDER, None, Decimal("10.00"), Decimal("20.00"), "held",
         f"already discounted (credit {first_id})")]
    # The log row stays, and the credit points at it.
    linked = q(db, "SELECT a.action, a.payload->>'customer_id' FROM credits c "
               "JOIN agent_actions a ON a.id = c.action_id WHERE c.call_id = 'c1'")
    assert linked == [("discount_10", str(sarah))] * 2


async def test_without_an_order_the_discount_goes_on_the_latest_bill(db):
    john = customer(db, "John Doe")
    await call(db, "c2", ("discount_10", {"reason": "bill shock"}), customer_id=john)
    invoice = q(db, "SELECT id FROM invoices WHERE customer_id = ? ORDER BY billed_on DESC "
                "LIMIT 1", john)[0][0]
    assert q(db, "SELECT customer_id, order_number, invoice_id, amount, reason, status "
             "FROM credits WHERE call_id = 'c2'") == [
        (john, None, invoice, Decimal("13.00"), "bill shock", "applied")]


async def test_a_discount_on_someone_elses_order_is_held(db):
    john = customer(db, "John Doe")
    await call(db, "c3", ("discount_10", {"order_number": f"#{SARAH_ORDER}"}), customer_id=john)
    assert q(db, "SELECT customer_id, order_number, amount, status, hold_reason FROM credits") == [
        (john, SARAH_ORDER, None, "held", f"order #{SARAH_ORDER} is not this customer's")]


async def test_waive_fee_reverses_the_fee_on_the_latest_bill_once(db):
    john, sarah = customer(db, "John Doe"), customer(db, "Sarah Johnson")
    await call(db, "c4", ("waive_fee", {}), ("waive_fee", {}), customer_id=john)
    await call(db, "c5", ("waive_fee", {}), customer_id=sarah)
    invoice = q(db, "SELECT id FROM invoices WHERE customer_id = ? ORDER BY billed_on DESC "
                "LIMIT 1", john)[0][0]
    rows = q(db, "SELECT call_id, customer_id, invoice_id, fee, amount, status, hold_reason "
             "FROM fee_reversals ORDER BY id")
    first_id = q(db, "SELECT min(id) FROM fee_reversals")[0][0]
    assert rows == [
        ("c4", john, invoice, "data overage", Decimal("30.99"), "applied", None),
        ("c4", john, invoice, "data overage", Decimal("30.99"), "held",
         f"already waived (fee reversal {first_id})"),
        ("c5", sarah, None, None, None, "held", "no fee on the latest bill")]


async def test_escalate_raises_the_callers_recent_open_ticket(db):
    john = customer(db, "John Doe")
    db.run_sync(lambda con: con.execute(
        "INSERT INTO tickets (customer_id, ticket_number, subject, status, priority, created_at) "
        "VALUES (?, 'T-900001', 'Data overage charge', 'open', 'normal', ?)",
        [john, FRIDAY - dt.timedelta(days=3)]))
    await call(db, "c6", ("escalate", {}), ("escalate", {}), customer_id=john)
    assert q(db, "SELECT status, priority FROM tickets WHERE ticket_number = 'T-900001'") == [
        ("escalated", "high")]
    assert q(db, "SELECT customer_id, ticket_number, ticket_action FROM escalations "
             "ORDER BY id") == [(john, "T-900001", "escalated"), (john, "T-900001", "linked")]


async def test_escalate_opens_a_new_ticket_when_the_open_ones_are_old(db):
    sarah = customer(db, "Sarah Johnson")
    old = q(db, "SELECT ticket_number, status, priority FROM tickets WHERE customer_id = ?",
            sarah)
    await call(db, "c7", order_lookup("c7", SARAH_ORDER), ("escalate", {}), customer_id=sarah)
    (number, how), = q(db, "SELECT ticket_number, ticket_action FROM escalations")
    assert how == "opened" and number not in {t for t, _, _ in old}
    assert q(db, "SELECT customer_id, subject, status, priority, created_at FROM tickets "
             "WHERE ticket_number = ?", number) == [
        (sarah, f"Escalated call about order #{SARAH_ORDER}", "escalated", "high", FRIDAY)]
    assert q(db, "SELECT ticket_number, status, priority FROM tickets WHERE customer_id = ? "
             "AND ticket_number <> ?", sarah, number) == old  # stale backlog left alone


async def test_a_callback_is_due_the_next_business_day_at_the_customers_hour(db):
    sarah, john = customer(db, "Sarah Johnson"), customer(db, "John Doe")
    await call(db, "c8", order_lookup("c8", SARAH_ORDER), ("callback", {}), customer_id=sarah)
    await call(db, "c9", ("callback", {}), customer_id=john)  # "prefers calls in the evening"
    await call(db, "c10", ("callback", {"due_at": "2026-11-30T14:15", "phone": "555-0100"}),
               ("callback", {"due_at": "soon"}), customer_id=sarah)
    monday = dt.date(2026, 11, 30)
    assert q(db, "SELECT call_id, customer_id, order_number, phone, due_at, status, note "
             "FROM callbacks ORDER BY id") == [
        ("c8", sarah, SARAH_ORDER, "(415) 555-0142", dt.datetime.combine(monday, dt.time(10)),
         "scheduled", None),
        ("c9", john, None, "(312) 555-0199", dt.datetime.combine(monday, dt.time(18)),
         "scheduled", None),
        ("c10", sarah, None, "555-0100", dt.datetime(2026, 11, 30, 14, 15), "scheduled", None),
        ("c10", sarah, None, "(415) 555-0142", dt.datetime.combine(monday, dt.time(10)),
         "scheduled", "due_at 'soon' not understood")]


async def test_actions_before_the_caller_is_known_are_stored_with_no_customer(db):
    await call(db, "c11", ("discount_10", {"order_number": SARAH_ORDER}), ("waive_fee", {}),
               ("escalate", {}), ("callback", {}),
               ("waive_fee", {"customer_id": "nobody", "amount": "thirty"}),
               ("template", {"text": "Let me check that for you."}))
    assert q(db, "SELECT action FROM agent_actions WHERE call_id = 'c11' ORDER BY id") == [
        ("discount_10",), ("waive_fee",), ("escalate",), ("callback",), ("waive_fee",),
        ("template",)]
    no_one = "no customer identified on the call yet"
    assert q(db, "SELECT customer_id, order_number, amount, status, hold_reason "
             "FROM credits") == [(None, SARAH_ORDER, Decimal("20.00"), "held", no_one)]
    assert q(db, "SELECT customer_id, amount, status, hold_reason FROM fee_reversals "
             "ORDER BY id") == [(None, None, "held", no_one),
                                (None, None, "held", "customer nobody is not on file")]
    assert q(db, "SELECT customer_id, ticket_number, ticket_action, reason FROM escalations") == [
        (None, None, None, f"escalated to a supervisor by the agent; {no_one}")]
    assert q(db, "SELECT customer_id, phone, due_at, note FROM callbacks") == [
        (None, None, dt.datetime(2026, 11, 30, 10), no_one)]
    assert q(db, "SELECT count(*) FROM tickets WHERE status = 'escalated'") == [(0,)]


async def test_a_failing_write_keeps_the_log_row_and_the_next_actions(db, monkeypatch):
    from callkit.store import actions

    def broken(con, a):
        con.execute("INSERT INTO escalations (call_id, reason, created_at) "
                    "VALUES ('c12', 'half written', now())")
        raise RuntimeError("bug in a writer")

    monkeypatch.setitem(actions.WRITERS, "escalate", broken)
    sarah = customer(db, "Sarah Johnson")
    await call(db, "c12", ("escalate", {}), ("callback", {}), customer_id=sarah)
    assert q(db, "SELECT action FROM agent_actions WHERE call_id = 'c12' ORDER BY id") == [
        ("escalate",), ("callback",)]
    assert q(db, "SELECT count(*) FROM escalations") == [(0,)]  # rolled back, not half kept
    assert q(db, "SELECT customer_id FROM callbacks WHERE call_id = 'c12'") == [(sarah,)]
