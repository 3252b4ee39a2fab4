"""Every suggestion says what it rests on, and each fact comes from the row the rule read:
checked against the seeded DuckDB itself, not against copies of the wording."""

import re

from callkit.assistant.memory import CallMemory
from callkit.assistant.rules import RulesEngine, Suggestion
from callkit.assistant.sources import PolicyBook, tool_sources
from callkit.assistant.tools import ToolRunner, call_tool
from callkit.events import TranscriptFinal
from callkit.store.db import connect
from tests.assistant.test_rules import engine_for, play


def suggestions(outputs):
    return [o for _, o in outputs if isinstance(o, Suggestion)]


def cited(suggestion, kind, name=None):
    return [s for s in suggestion.sources if s["kind"] == kind and name in (None, s["name"])]


def policy_sentences(con, policy_id):
    title, body = con.execute("SELECT title, body FROM policies WHERE id = ?",
                              [policy_id]).fetchone()
    return title, re.split(r"(?<=\.)\s+", body)


def assert_quotes_policy(con, suggestion, policy_id):
    title, sentences = policy_sentences(con, policy_id)
    source, = cited(suggestion, "policy", title)
    assert source["fact"] and all(s in sentences for s in re.split(r"(?<=\.)\s+", source["fact"]))


async def test_every_built_in_suggestion_cites_what_it_rests_on(fixed_con):
    for recording in ("sarah_order", "john_bill"):
        outputs, _, _ = await play(fixed_con, recording)
        for s in suggestions(outputs):
            assert s.sources, (s.topic, s.text)
            assert all(set(src) == {"kind", "name", "fact"} and src["fact"] for src in s.sources)


async def test_sarah_order_facts_are_the_rows_read(fixed_con):
    by_topic = {s.topic: s for s in suggestions((await play(fixed_con, "sarah_order"))[0])}
    order = call_tool(fixed_con, "get_order_status", {"order_id": "78901"})["order"]
    fact, = (s["fact"] for s in cited(by_topic["order_status"], "tool", "get_order_status"))
    assert fact.startswith(f"order #78901 ({order['product_name']}, ")
    for value in (order["status"], order["carrier"], order["tracking_number"], order["eta"],
                  order["shipped_at"][:10]):
        assert value in fact
    # The return card quotes the product's own policy text and the tool's deadline.
    refund = by_topic["return_policy"]
    title, terms = fixed_con.execute(  # the knowledge-base row the product's terms point at
        "SELECT k.title, k.body FROM products p JOIN policies k ON k.id = p.return_policy "
        "WHERE p.id = ?", [order["product_id"]]).fetchone()
    assert cited(refund, "policy", title)[0]["fact"].startswith(terms)
    assert "not delivered yet" in cited(refund, "tool", "check_return_policy")[0]["fact"]
    # Identified by name: the lookup is cited, and the verification policy from the table.
    identity = by_topic["identified"]
    assert cited(identity, "tool", "lookup_customer")[0]["fact"].startswith(
        "name “Sarah Johnson”: Sarah Johnson #48213")
    assert "Sarah Johnson, account #48213" in cited(identity, "customer")[0]["fact"]
    assert_quotes_policy(fixed_con, by_topic["verify_identity"], "POL-ID")
    assert "upsell" not in by_topic  # she is returning something: no time to sell


async def test_an_upsell_cites_the_purchase_it_goes_with(fixed_con):
    outs = await turns(fixed_con, [("customer", "My account number is 48213."),
                                   ("customer", "Where is order 78901?"),
                                   ("customer", "Oh wonderful, thank you so much, that's great!")])
    upsell, = (o for o in outs if o.topic == "upsell")
    fact, = cited(upsell, "tool", "recommend_product")
    assert "Aurora ANC Wireless Headphones" in fact["fact"] and "#78901" in fact["fact"]


async def test_john_bill_facts_are_the_rows_read(fixed_con):
    by_topic = {}
    for s in suggestions((await play(fixed_con, "john_bill"))[0]):
        by_topic.setdefault(s.topic, s)
    total, lines = fixed_con.execute(
        "SELECT i.total, list(l.description) FROM invoices i JOIN invoice_lines l "
        "ON l.invoice_id = i.id JOIN customers c ON c.id = i.customer_id "
        "WHERE c.account_number = '12345' GROUP BY i.id, i.total, i.billed_on "
        "ORDER BY i.billed_on DESC LIMIT 1").fetchone()
    bill, = cited(by_topic["billing"], "tool", "latest_bill")
    assert f"${total:,.2f} = " in bill["fact"] and all(d in bill["fact"] for d in lines)
    assert_quotes_policy(fixed_con, by_topic["billing"], "POL-BILL")
    tier = by_topic["tier"]
    assert "gold tier" in cited(tier, "customer")[0]["fact"]
    assert_quotes_policy(fixed_con, tier, "POL-ESC")
    frustration = by_topic["frustration"]
    said, = cited(frustration, "transcript")
    assert said["name"] == "customer said" and "frustrated" in said["fact"]
    assert_quotes_policy(fixed_con, frustration, "POL-ESC")
    assert_quotes_policy(fixed_con, by_topic["callback"], "POL-CALLBACK")


async def turns(con, texts):
    memory, calls, outs = CallMemory(), [], []
    engine = engine_for(con, calls)
    for leg, text in texts:
        final = TranscriptFinal(call_id="c", leg=leg, text=text, start=0, end=1)
        memory.add_turn(leg, text, 0)
        outs += [o async for o in engine.on_final(final, memory) if isinstance(o, Suggestion)]
    return outs


async def test_agent_turn_alerts_quote_the_agent_without_the_card_number(fixed_con):
    pci, callback = await turns(fixed_con, [
        ("agent", "Your card is 4111 1111 1111 1111, and I'll call you back tomorrow.")])
    for s in (pci, callback):
        said, = cited(s, "transcript")
        assert said["name"] == "agent said" and "4111 1111" not in said["fact"]
        assert "[card ending 1111]" in said["fact"]
    assert_quotes_policy(fixed_con, pci, "POL-PCI")


async def test_corrections_and_misses_say_so(fixed_con):
    outs = await turns(fixed_con, [("customer", "Hi, I'm Sarah Johnson."),
                                   ("customer", "It's about order 788901.")])
    order = next(o for o in outs if o.topic == "order_status")
    assert "heard “788901”" in cited(order, "transcript", "order number")[0]["fact"]
    missing, = await turns(fixed_con, [("customer", "My order number is 11111.")])
    assert missing.sources == ({"kind": "tool", "name": "get_order_status",
                                "fact": "no order #11111"},)


async def test_a_database_without_the_policy_cites_none():
    con = connect(":memory:")  # the schema, no seed: no policies
    try:
        async def run(fn, *args):
            return fn(con, *args)
        book = PolicyBook(ToolRunner(run, lambda *a: None))
        assert await book.cite("POL-ESC", "frustrated") == ()
    finally:
        con.close()


def test_model_tool_results_become_facts_and_unknown_shapes_none(fixed_con):
    result = call_tool(fixed_con, "check_return_policy",
                       {"product_id": "P-1001", "order_id": "78901"})
    policy, status = tool_sources("check_return_policy", result)
    assert policy["kind"] == "policy" and status["fact"].startswith("order #78901")
    assert tool_sources("get_order_status", {"error": {"code": "not_found",
                                                       "message": "no order #1"}})[0]["fact"] \
        == "no order #1"
    assert tool_sources("my_tool", {"rows": []}) == ()
    assert tool_sources("get_order_status", {"order": {"number": "1"}}) == ()  # other shape


async def test_policies_are_read_once_per_call(fixed_con):
    reads = []

    async def run(fn, *args):
        reads.append(fn.__name__)
        return fn(fixed_con, *args)

    engine = RulesEngine(ToolRunner(run, lambda *a: None))
    memory = CallMemory()
    for text in ("This is John Doe, account 12345.", "Why is my bill so high? I'm frustrated."):
        memory.add_turn("customer", text, 0)
        final = TranscriptFinal(call_id="c", leg="customer", text=text, start=0, end=1)
        outs = [o async for o in engine.on_final(final, memory) if isinstance(o, Suggestion)]
        assert any(cited(o, "policy") for o in outs)
    assert reads.count("_policies") == 1
