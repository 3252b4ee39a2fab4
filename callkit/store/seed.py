"""A deterministic, realistic demo dataset: customers, orders, tickets, bills, and the
knowledge base (knowledge.json).

The same ``seed`` and ``today`` always give the same rows. Dates are laid out relative to
``today`` so that "shipped yesterday" is true on the day a class runs the demo. The personas
of the exercise's demo script are always present (see :data:`PERSONAS`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import duckdb
from faker import Faker

from .db import transaction
from .knowledge import build_index, knowledge_rows

SARAH_ORDER = "78901"
JOHN_ACCOUNT = "12345"

PRODUCTS: list[tuple[str, str, str, float, int]] = [
    # id, name, category, price, return window in days
    ("P-1001", "Aurora ANC Wireless Headphones", "electronics", 199.99, 30),
    ("P-1002", "Pulse Bluetooth Speaker", "electronics", 89.99, 30),
    ("P-1003", "Orbit Smartwatch", "electronics", 249.00, 30),
    ("P-1004", "Nimbus 10-inch Tablet", "electronics", 329.00, 15),
    ("P-1005", "Volt USB-C Charger 65W", "accessories", 39.99, 60),
    ("P-1006", "Strand Braided Cable 2m", "accessories", 14.99, 60),
    ("P-1007", "Shield Phone Case", "accessories", 24.99, 60),
    ("P-1008", "Glide Wireless Mouse", "accessories", 34.50, 60),
    ("P-1009", "Keystone Mechanical Keyboard", "electronics", 129.00, 30),
    ("P-1010", "Lumen Desk Lamp", "home", 59.00, 45),
    ("P-1011", "Brew Pro Coffee Maker", "home", 149.00, 45),
    ("P-1012", "Breeze Air Purifier", "home", 219.00, 45),
    ("P-1013", "Trail Running Shoes", "apparel", 119.00, 90),
    ("P-1014", "Summit Rain Jacket", "apparel", 159.00, 90),
    ("P-1015", "Merino Crew Socks (3-pack)", "apparel", 29.00, 90),
    ("P-1016", "Atlas Travel Backpack", "apparel", 99.00, 90),
    ("P-1017", "Home Mesh Wi-Fi Router", "electronics", 279.00, 15),
    ("P-1018", "Clarity 4K Webcam", "electronics", 119.99, 30),
    ("P-1019", "Premium Plan (monthly)", "subscription", 99.00, 0),
    ("P-1020", "Gift Card $50", "gift card", 50.00, 0),
]

TICKET_SUBJECTS = [
    "Package not delivered", "Wrong item received", "Refund not received", "Billing question",
    "Data overage charge", "Damaged on arrival", "Cannot log in", "Change shipping address",
    "Cancel subscription", "Warranty claim", "Promo code did not apply", "Exchange for size",
]

NOTES = [
    ("preference", "Prefers email over phone calls."),
    ("preference", "Prefers calls in the evening."),
    ("preference", "Wants paperless billing."),
    ("note", "Asked about the loyalty program last month."),
    ("note", "Had a delayed delivery earlier this year; was given a $10 credit."),
    ("note", "Hard of hearing: speak slowly and confirm details."),
    ("preference", "Prefers text message updates for deliveries."),
    ("note", "Interested in the Premium Plan."),
]


@dataclass(frozen=True)
class SeedCounts:
    customers: int = 600
    orders: int = 2400
    tickets: int = 900


PERSONAS = ("Sarah Johnson", "John Doe")


def is_seeded(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM customers").fetchone()[0] > 0


def seed(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int = 7,
    today: dt.date | None = None,
    counts: SeedCounts = SeedCounts(),
) -> dict[str, int]:
    """Replace the reference data (not recorded calls) with a fresh deterministic dataset."""
    today = today or dt.date.today()
    data = _generate(seed, today, counts)
    # Children first, each delete committed on its own: DuckDB checks foreign keys against
    # the state before the transaction, so one transaction cannot empty parent and child.
    for table in ("invoice_lines", "invoices", "customer_notes", "tickets", "orders",
                  "products", "customers", "policies"):
        con.execute(f"DELETE FROM {table}")
    with transaction(con):
        for table, rows in data.items():
            _insert(con, table, rows)
    build_index(con)
    return {table: len(rows) for table, rows in data.items()}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    columns = [[row[n] for row in rows] for n in names]
    # One statement per table: unnest zips the column lists, far faster than executemany.
    selects = ", ".join(f"unnest(${i + 1})" for i in range(len(names)))
    con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {selects}", columns)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)))


def _last_bill_day(today: dt.date) -> dt.date:
    """The 15th of the month of the most recent bill, at least five days before today."""
    day = today.replace(day=15)
    if day > today - dt.timedelta(days=5):
        day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    return day


def _generate(seed_value: int, today: dt.date, counts: SeedCounts) -> dict[str, list[dict]]:
    rng = random.Random(seed_value)
    fake = Faker("en_US")
    fake.seed_instance(seed_value)

    knowledge = knowledge_rows()
    terms = {row["category"]: row["id"] for row in knowledge if row.get("category")}
    products = [
        {"id": pid, "name": name, "category": cat, "price": price, "return_window_days": days,
         "return_policy": terms[cat]}
        for pid, name, cat, price, days in PRODUCTS
    ]
    customers: list[dict] = []
    notes: list[dict] = []
    orders: list[dict] = []
    tickets: list[dict] = []
    invoices: list[dict] = []
    lines: list[dict] = []

    # Account and order numbers share one pool: a number spoken without "order" or
    # "account" before it then names exactly one thing.
    used_numbers = {JOHN_ACCOUNT, SARAH_ORDER, "48213", "55102"}
    used_emails: set[str] = set()

    def fresh_number() -> str:
        while True:
            number = str(rng.randint(10000, 99999))
            if number not in used_numbers:
                used_numbers.add(number)
                return number

    def add_customer(name, email, phone, account, tier, ltv, since) -> int:
        cid = len(customers) + 1
        used_emails.add(email)
        customers.append({"id": cid, "name": name, "email": email, "phone": phone,
                          "account_number": account, "tier": tier, "status": "active",
                          "lifetime_value": ltv, "created_at": since})
        return cid

    sarah = add_customer("Sarah Johnson", "sarah.johnson@example.com", "(415) 555-0142",
                         "48213", "standard", 612.40, dt.datetime(2024, 3, 9, 10, 12))
    john = add_customer("John Doe", "john.doe@example.com", "(312) 555-0199", JOHN_ACCOUNT,
                        "gold", 2480.50, dt.datetime(2023, 1, 17, 14, 30))
    notes += [
        {"customer_id": sarah, "kind": "preference", "text": "Prefers email updates.",
         "created_at": dt.datetime(2025, 6, 2, 9, 0)},
        {"customer_id": john, "kind": "preference", "text": "Prefers calls in the evening.",
         "created_at": dt.datetime(2025, 2, 11, 18, 5)},
        {"customer_id": john, "kind": "note",
         "text": "On the Premium Plan since January 2023; asked about data limits before.",
         "created_at": dt.datetime(2025, 8, 20, 11, 40)},
    ]
    headphones = products[0]
    orders.append({
        "customer_id": sarah, "order_number": SARAH_ORDER, "product_id": headphones["id"],
        "product_name": headphones["name"], "amount": headphones["price"], "status": "shipped",
        "order_date": _at(today - dt.timedelta(days=3), rng),
        "shipped_at": dt.datetime.combine(today - dt.timedelta(days=1), dt.time(16, 20)),
        "carrier": "FedEx", "tracking_number": "7798 4412 0931",
        "eta": today + dt.timedelta(days=2), "delivered_at": None,
    })
    orders.append({
        "customer_id": sarah, "order_number": "55102", "product_id": "P-1013",
        "product_name": "Trail Running Shoes", "amount": 119.00, "status": "delivered",
        "order_date": _at(today - dt.timedelta(days=64), rng),
        "shipped_at": _at(today - dt.timedelta(days=63), rng), "carrier": "UPS",
        "tracking_number": "1Z 882 4410 9931", "eta": today - dt.timedelta(days=60),
        "delivered_at": _at(today - dt.timedelta(days=60), rng),
    })
    bill_day = _last_bill_day(today)
    for months_back in range(3, -1, -1):
        day = bill_day
        for _ in range(months_back):
            day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
        overage = months_back == 0
        total = 129.99 if overage else 99.00
        invoice_id = len(invoices) + 1
        invoices.append({"id": invoice_id, "customer_id": john, "billed_on": day, "total": total})
        lines.append({"invoice_id": invoice_id, "description": "Premium plan", "amount": 99.00})
        if overage:
            lines.append({"invoice_id": invoice_id, "description": "data overage",
                          "amount": 30.99})

    reserved = {p.lower() for p in PERSONAS}
    while len(customers) < counts.customers:
        name = fake.name()
        if name.lower() in reserved:
            continue
        base = name.lower().replace(" ", ".").replace("'", "")
        email = f"{base}@{fake.free_email_domain()}"
        if email in used_emails:
            email = f"{base}{rng.randint(2, 99)}@{fake.free_email_domain()}"
            if email in used_emails:
                continue
        tier = rng.choices(["standard", "gold", "platinum"], weights=[75, 18, 7])[0]
        since = fake.date_time_between(start_date=today - dt.timedelta(days=2200),
                                       end_date=today - dt.timedelta(days=30))
        cid = add_customer(name, email, fake.numerify("(###) 555-0###"), fresh_number(), tier,
                           round(rng.uniform(40, 6000), 2), since)
        if rng.random() < 0.6:
            kind, text = rng.choice(NOTES)
            notes.append({"customer_id": cid, "kind": kind, "text": text,
                          "created_at": fake.date_time_between(start_date=since,
                                                               end_date=today)})

    carriers = ["FedEx", "UPS", "USPS"]
    buyable = [p for p in products if p["category"] not in ("subscription",)]
    while len(orders) < counts.orders:
        cust = rng.choice(customers[2:])
        product = rng.choice(buyable)
        age = rng.randint(0, 400)
        ordered = today - dt.timedelta(days=age)
        status = ("processing" if age < 2 else "shipped" if age < 6
                  else rng.choices(["delivered", "returned", "cancelled"], [88, 8, 4])[0])
        shipped = None if status in ("processing", "cancelled") else ordered + dt.timedelta(days=1)
        eta = None if shipped is None else shipped + dt.timedelta(days=rng.randint(2, 5))
        orders.append({
            "customer_id": cust["id"], "order_number": fresh_number(),
            "product_id": product["id"], "product_name": product["name"],
            "amount": product["price"], "status": status, "order_date": _at(ordered, rng),
            "shipped_at": None if shipped is None else _at(shipped, rng),
            "carrier": None if shipped is None else rng.choice(carriers),
            "tracking_number": None if shipped is None else fake.bothify("#### #### ####"),
            "eta": eta,
            "delivered_at": _at(eta, rng) if status in ("delivered", "returned") else None,
        })

    for n in range(counts.tickets):
        cust = rng.choice(customers)
        opened = today - dt.timedelta(days=rng.randint(0, 500))
        status = rng.choices(["open", "pending", "resolved", "closed"], [12, 8, 40, 40])[0]
        resolved = (_at(opened + dt.timedelta(days=rng.randint(0, 10)), rng)
                    if status in ("resolved", "closed") else None)
        tickets.append({
            "customer_id": cust["id"], "ticket_number": f"T-{100001 + n}",
            "subject": rng.choice(TICKET_SUBJECTS), "status": status,
            "priority": rng.choices(["low", "normal", "high", "urgent"], [30, 45, 20, 5])[0],
            "created_at": _at(opened, rng), "resolved_at": resolved,
        })

    plan_customers = rng.sample(customers[2:], k=len(customers) // 3)
    for cust in plan_customers:
        day = bill_day
        for _ in range(3):
            overage = round(rng.choice([0, 0, 0, 10.0, 20.0, 30.99]), 2)
            invoice_id = len(invoices) + 1
            invoices.append({"id": invoice_id, "customer_id": cust["id"], "billed_on": day,
                             "total": round(99.00 + overage, 2)})
            lines.append({"invoice_id": invoice_id, "description": "Premium plan",
                          "amount": 99.00})
            if overage:
                lines.append({"invoice_id": invoice_id, "description": "data overage",
                              "amount": overage})
            day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=15)

    policies = [{key: row.get(key) for key in ("id", "title", "body", "kind", "topic", "category")}
                for row in knowledge]
    return {"customers": customers, "customer_notes": notes, "products": products,
            "orders": orders, "tickets": tickets, "invoices": invoices,
            "invoice_lines": lines, "policies": policies}
