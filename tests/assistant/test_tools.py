import json

import pytest

from callkit.assistant.tools import TOOL_SCHEMAS, TOOLS, call_tool, customer_context, latest_bill


def test_every_schema_has_an_implementation():
    assert {s["function"]["name"] for s in TOOL_SCHEMAS} == set(TOOLS)
    for schema in TOOL_SCHEMAS:
        json.dumps(schema)  # serializable for an OpenAI request
        assert schema["function"]["parameters"]["type"] == "object"


@pytest.mark.parametrize("query", ["Sarah Johnson", "sara jonson", "SARAH JOHNSON", "Sarah Johnsen"])
def test_lookup_customer_by_name_is_fuzzy_and_ranked(fixed_con, query):
    result = call_tool(fixed_con, "lookup_customer", {"query": query, "search_type": "name"})
    matches = result["matches"]
    assert matches[0]["name"] == "Sarah Johnson"
    assert matches[0]["score"] >= 0.93
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)


def test_lookup_customer_by_email_phone_and_account(fixed_con):
    by_email = call_tool(fixed_con, "lookup_customer",
                         {"query": "sarah dot johnson at example dot com", "search_type": "email"})
    assert by_email["matches"][0]["name"] == "Sarah Johnson"
    by_phone = call_tool(fixed_con, "lookup_customer",
                         {"query": "three one two five five five zero one nine nine",
                          "search_type": "phone"})
    assert by_phone["matches"][0]["name"] == "John Doe"
    by_account = call_tool(fixed_con, "lookup_customer", {"query": "12345", "search_type": "account"})
    assert [m["name"] for m in by_account["matches"]] == ["John Doe"]


@pytest.mark.parametrize("order_id", ["78901", "#78901", "seven eight nine oh one", "order 7-8-9-0-1"])
def test_get_order_status_accepts_spoken_and_written_numbers(fixed_con, order_id):
    order = call_tool(fixed_con, "get_order_status", {"order_id": order_id})["order"]
    assert order["order_number"] == "78901"
    assert order["carrier"] == "FedEx" and order["status"] == "shipped"
    assert order["customer_name"] == "Sarah Johnson"


def test_check_return_policy_by_id_name_and_with_an_order(fixed_con):
    by_id = call_tool(fixed_con, "check_return_policy", {"product_id": "p-1001"})
    assert by_id["product"]["return_window_days"] == 30
    by_name = call_tool(fixed_con, "check_return_policy",
                        {"product_id": "Aurora ANC Wireless Headphones"})
    assert by_name["product"]["product_id"] == "P-1001"
    with_order = call_tool(fixed_con, "check_return_policy",
                           {"product_id": "P-1001", "order_id": "78901"})
    assert with_order["order"] == {"order_number": "78901", "status": "shipped",
                                   "returnable": True, "return_by": None}
    final_sale = call_tool(fixed_con, "check_return_policy", {"product_id": "P-1020"})
    assert "final sale" in final_sale["product"]["return_policy"]


@pytest.mark.parametrize("name, args, code", [
    ("lookup_customer", {}, "invalid_argument"),
    ("lookup_customer", {"query": ""}, "invalid_argument"),
    ("lookup_customer", {"query": ["Sarah"]}, "invalid_argument"),
    ("lookup_customer", {"query": True}, "invalid_argument"),
    ("lookup_customer", {"query": "x" * 500}, "invalid_argument"),
    ("lookup_customer", {"query": "Sarah", "search_type": "ssn"}, "invalid_argument"),
    ("lookup_customer", {"query": "12", "search_type": "phone"}, "invalid_argument"),
    ("get_order_status", {"order_id": "banana"}, "invalid_argument"),
    ("get_order_status", {"order_id": "00000"}, "not_found"),
    ("get_order_status", {"order_id": None}, "invalid_argument"),
    ("check_return_policy", {"product_id": "P-9999"}, "not_found"),
    ("check_return_policy", {"product_id": "P-1001", "order_id": "11111"}, "not_found"),
    ("no_such_tool", {}, "unknown_tool"),
    ("lookup_customer", "{not json", "invalid_arguments"),
    ("lookup_customer", "[1, 2]", "invalid_arguments"),
])
def test_bad_input_returns_a_structured_error(fixed_con, name, args, code):
    result = call_tool(fixed_con, name, args)
    assert result["error"]["code"] == code
    assert result["error"]["message"]


@pytest.mark.parametrize("query", ["'; DROP TABLE customers; --", "%", "_", "' OR '1'='1"])
def test_sql_metacharacters_are_just_text(fixed_con, query):
    counts = "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)"
    before = fixed_con.execute(counts).fetchone()
    for name, args in [("lookup_customer", {"query": query, "search_type": "name"}),
                       ("lookup_customer", {"query": query, "search_type": "email"}),
                       ("lookup_customer", {"query": query, "search_type": "account"}),
                       ("get_order_status", {"order_id": query}),
                       ("check_return_policy", {"product_id": query})]:
        result = call_tool(fixed_con, name, args)
        assert not result.get("matches") and "order" not in result and "product" not in result
        assert "matches" in result or result["error"]["code"] in ("invalid_argument", "not_found")
    assert fixed_con.execute(counts).fetchone() == before


def test_a_name_with_injection_text_still_matches_only_by_name(fixed_con):
    result = call_tool(fixed_con, "lookup_customer",
                       {"query": "Robert'); DELETE FROM orders;--", "search_type": "name"})
    assert all(m["name"].startswith("Robert") for m in result["matches"])
    assert fixed_con.execute("SELECT count(*) FROM orders").fetchone()[0] == 2400


def test_arguments_may_come_as_model_json(fixed_con):
    result = call_tool(fixed_con, "get_order_status", '{"order_id": "#78901"}')
    assert result["order"]["order_number"] == "78901"


def test_customer_context_and_latest_bill(fixed_con):
    john = call_tool(fixed_con, "lookup_customer", {"query": "12345", "search_type": "account"})
    cid = john["matches"][0]["id"]
    ctx = customer_context(fixed_con, cid)
    assert ctx["customer"]["tier"] == "gold"
    assert any("evening" in n["text"] for n in ctx["notes"])
    bill = latest_bill(fixed_con, cid)
    assert bill["total"] == 129.99 and bill["previous_total"] == 99.0
    assert [(line["description"], line["amount"]) for line in bill["lines"]] == [
        ("Premium plan", 99.0), ("data overage", 30.99)]
