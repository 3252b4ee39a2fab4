"""A small known past: four calls whose every number the analytics tests can work out by hand.

Day 2026-11-25 is "today" (NOW). Sarah Johnson's late order (c1, negative, 300 s), John Doe's
bill (c2, positive, 120 s, reads out a card number, e-mail and phone), an anonymous call that
dropped (c3, 60 s) and a call still going today (c4).
"""

import datetime as dt
import json

from callkit.analytics.queries import Period
from callkit.store.db import connect
from callkit.store.seed import seed

NOW = dt.datetime(2026, 11, 25, 12, 0)
WEEK = Period.last_days(7, now=NOW)  # 2026-11-18 00:00 .. 2026-11-26 00:00
T = dt.datetime


def at(call_start: dt.datetime, seconds: float) -> dt.datetime:
    return call_start + dt.timedelta(seconds=seconds)


C1, C2, C3, C4 = (T(2026, 11, 24, 10, 5), T(2026, 11, 24, 10, 40), T(2026, 11, 23, 15, 10),
                  T(2026, 11, 25, 9, 0))
CALLS = [  # call_id, customer_id, agent, title, start, seconds, status, sentiment, caller
    ("c1", 1, "Ana Lima", "Sarah Johnson: order 78901 is late", C1, 300.0, "completed",
     "negative", "(415) 555-0142"),
    ("c2", 2, "Ben Ortiz", "John Doe asks about his bill", C2, 120.0, "completed", "positive",
     None),
    ("c3", None, "Ana Lima", "A dropped call", C3, 60.0, "abandoned", "neutral", None),
    ("c4", 2, "Ben Ortiz", "John Doe again", C4, None, "active", None, None),
]
LINES = [  # call, speaker, turn, start_s, text, sentiment
    ("c1", "agent", 1, 0.0, "Thanks for calling, this is Ana.", None),
    ("c1", "customer", 1, 4.0, "Hi, I'm Sarah Johnson, my order 78901 is late.", -0.5),
    ("c1", "customer", 2, 20.0, "I think the package is lost, this is so frustrating.", -0.7),
    ("c1", "agent", 2, 30.0, "I'm sorry Sarah, I'll take ten percent off.", None),
    ("c1", "customer", 3, 40.0, "Okay, thank you.", 0.2),
    ("c1", "agent", 3, 45.0, "I have your account as four eight two one three.", None),
    ("c2", "customer", 1, 2.0, "Hello, John Doe here, account 12345, my bill is too high.", 0.1),
    ("c2", "customer", 2, 15.0, "My card is 4111 1111 1111 1111, email john.doe@example.com, "
                                "call me at (312) 555-0199.", 0.6),
    ("c2", "agent", 1, 25.0, "Thanks John, I waived the overage.", None),
    ("c3", "customer", 1, 3.0, "I want to cancel my account.", -0.3),
]
SUGGESTIONS = [  # id, call, kind, priority, topic, message, feedback, at seconds
    ("s1", "c1", "info", "low", "identified", "Caller identified: Sarah Johnson.", None, 5),
    ("s2", "c1", "alert", "high", "frustration", "The customer sounds frustrated.", "used", 21),
    ("s3", "c1", "suggestion", "normal", "order_status", "Order 78901 shipped via FedEx.",
     "dismissed", 6),
    ("s4", "c2", "suggestion", "normal", "billing", "The bill has a $30.99 overage.", "used", 3),
    ("s5", "c2", "suggestion", "low", "upsell", "Offer the bigger data plan.", None, 16),
    ("s6", "c3", "alert", "high", "churn", "Churn risk: ask why before cancelling.", None, 4),
]
TOOLS = [  # call, name, arguments, result, ms, at seconds
    ("c1", "lookup_customer", {"query": "Sarah Johnson"}, {"matches": [{"id": 1}]}, 2.0, 4),
    ("c1", "get_order_status", {"order_id": "78901"}, {"order": {"status": "shipped"}}, 4.0, 5),
    ("c2", "lookup_customer", {"query": "John"}, {"matches": [{"id": 2}, {"id": 9}]}, 3.0, 2),
    ("c3", "get_order_status", {"order_id": "1"},
     {"error": {"code": "not_found", "message": "no order #1"}}, 1.0, 4),
    ("c3", "search_knowledge", {"query": "cancel"}, {"query": "cancel", "matches": []}, 6.0, 5),
]
ACTIONS = [  # call, action, payload, at seconds
    ("c1", "discount_10", {"customer_id": 1}, 31),
    ("c1", "suggestion_used", {"suggestion_id": "s2"}, 22),
    ("c1", "template", {"text": "Thanks for your patience."}, 35),
    ("c2", "waive_fee", {"customer_id": 2}, 26),
]
# (call, leg, turn): seconds after the turn's speech end of final, first token and shown.
LATENCY = [("c1", "customer", 1, 8.0, 1.0, 1.01, 1.06), ("c1", "customer", 2, 24.0, 1.4, None,
           None), ("c2", "customer", 1, 6.0, 0.8, 0.802, None)]
SUMMARIES = [("c1", ["order", "shipping", "frustration"], "negative"),
             ("c2", ["billing"], "positive")]


def build(path) -> None:
    """Write the demo data and the four calls to a DuckDB file at ``path``."""
    con = connect(path)
    seed(con, today=NOW.date())
    start = {c[0]: c[4] for c in CALLS}
    for cid, cust, agent, title, t0, seconds, status, sentiment, caller in CALLS:
        con.execute("INSERT INTO calls (call_id, customer_id, agent_name, title, start_time, "
                    "end_time, duration_seconds, status, sentiment, caller_number) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    [cid, cust, agent, title, t0, seconds and at(t0, seconds), seconds, status,
                     sentiment, caller])
    for cid, speaker, turn, start_s, text, sentiment in LINES:
        con.execute("INSERT INTO transcripts (call_id, speaker, turn, text, timestamp, start_s, "
                    "end_s, sentiment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    [cid, speaker, turn, text, at(start[cid], start_s + 3), start_s,
                     start_s + 3, sentiment])
    for sid, cid, kind, priority, topic, message, feedback, s in SUGGESTIONS:
        con.execute("INSERT INTO ai_suggestions (id, call_id, suggestion_type, priority, topic, "
                    "message, used, feedback, timestamp) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                    "$8, $9)", [sid, cid, kind, priority, topic, message, feedback == "used",
                                feedback, at(start[cid], s)])
    for cid, name, args, result, ms, s in TOOLS:
        con.execute("INSERT INTO tool_calls (call_id, name, arguments, result, duration_s, "
                    "timestamp) VALUES ($1, $2, $3, $4, $5, $6)",
                    [cid, name, json.dumps(args), json.dumps(result), ms / 1000,
                     at(start[cid], s)])
    for cid, action, payload, s in ACTIONS:
        con.execute("INSERT INTO agent_actions (call_id, action, payload, timestamp) "
                    "VALUES ($1, $2, $3, $4)", [cid, action, json.dumps(payload),
                                                at(start[cid], s)])
    con.execute("INSERT INTO flagged_moments (call_id, at_s, note, timestamp) "
                "VALUES ('c1', 20.0, 'package lost', $1)", [at(C1, 21)])
    for cid, leg, turn, end_s, final, token, shown in LATENCY:
        t0 = at(start[cid], end_s)
        con.execute("INSERT INTO turn_latency (call_id, leg, turn, speech_end, final, "
                    "first_token, shown) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [cid, leg, turn, t0, at(t0, final), token and at(t0, token),
                     shown and at(t0, shown)])
    for cid, topics, sentiment in SUMMARIES:
        con.execute("INSERT INTO call_summaries (call_id, reason, resolution, action_items, "
                    "sentiment, text, topics, created_at) VALUES ($1, 'Called about it', "
                    "'Sorted', '[\"Call the customer back\"]', $2, $3, $4, $5)",
                    [cid, sentiment, f"Summary of {cid}.", json.dumps(topics),
                     at(start[cid], 300)])
    con.close()
