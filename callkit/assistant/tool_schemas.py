"""The assistant's tools as a model sees them: OpenAI function schemas, one per tool of
tools.py (which implements them on DuckDB)."""

from __future__ import annotations

from typing import Any

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_customer",
            "description": "Search customers by name, email, phone or account number, or "
            "(search_type 'spoken') find the customers whose name is said in a sentence. "
            "Names may be misspelled or spoken; returns ranked matches with scores.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "search_type": {"enum": ["name", "email", "phone", "account", "spoken"]},
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
            "description": "Get the return terms for a product (id like 'P-1001' or its "
            "name) from the knowledge base; with an order number, also whether that order "
            "can still be returned.",
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
    {
        "type": "function",
        "function": {
            "name": "search_knowledge",
            "description": "Full-text search of the company's policies and FAQs (returns, "
            "shipping, billing, escalation, payment cards, warranty...); cite the policy used.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
]
