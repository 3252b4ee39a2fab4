"""The facts a suggestion rests on, worded from the rows a rule actually read.

A card's "Based on" list must let the agent check a suggestion before saying it, so each fact
is built here from the very tool result, policy row, customer record or transcript turn the
rule used; nothing is looked up again or inferred afterwards. One formatter per kind of
record, shared by the rules and the model engine (which cites the tools the model called).
"""

from __future__ import annotations

import re
from typing import Any

from .outputs import Source, money
from .redact import redact
from .tools import ToolRunner

MAX_QUOTE = 140  # characters of a transcript turn quoted under a card


def source(kind: str, fact: str, name: str = "") -> Source:
    return {"kind": kind, "name": name, "fact": fact}


def quote(leg: str, text: str, sentiment: float | None = None) -> Source:
    """What someone said. Redacted: a card must not repeat a card number it warns about."""
    said = redact(" ".join(text.split()))
    if len(said) > MAX_QUOTE:
        said = said[:MAX_QUOTE - 1].rstrip() + "…"
    tone = f" (sentiment {sentiment:+.2f})" if sentiment is not None else ""
    return source("transcript", f"“{said}”{tone}", f"{leg} said")


def customer_fact(context: dict[str, Any]) -> Source:
    c = context["customer"]
    facts = [f"{c['name']}, account #{c['account_number']}, {c['tier']} tier"]
    if c.get("created_at"):
        facts.append(f"customer since {c['created_at'][:7]}")
    if c.get("lifetime_value") is not None:
        facts.append(f"lifetime value {money(c['lifetime_value'])}")
    tickets = [t for t in context.get("tickets", ()) if t["status"] in ("open", "pending")]
    if tickets:
        facts.append("open tickets: " + "; ".join(
            f"{t['ticket_number']} {t['subject']} ({t['status']})" for t in tickets[:3]))
    return source("customer", ", ".join(facts), "customer record")


def lookup_fact(result: dict[str, Any]) -> Source:
    """A lookup_customer result: who matched, with the score when the search is fuzzy."""
    kind, matches = result["search_type"], result.get("matches") or []
    query = result["query"]
    if kind == "spoken":  # names heard in a sentence: the name, not the whole sentence
        kind, query = "name", matches[0]["name"] if matches else "said"
    fuzzy = kind in ("name", "email")
    found = ", ".join(f"{m['name']} #{m['account_number']}"
                      + (f" (score {m['score']:.2f})" if fuzzy else "") for m in matches[:3])
    more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
    return source("tool", f"{kind} “{query}”: " + (found + more if matches
                                                           else "no customer matches"),
                  "lookup_customer")


def order_fact(order: dict[str, Any]) -> Source:
    """A get_order_status row: status and the dates, carrier and tracking on file."""
    facts = [order["status"]]
    dates = [("placed", "order_date"), ("shipped", "shipped_at"), ("delivered", "delivered_at")]
    if order["status"] != "delivered":  # a delivered order's ETA is history, not a fact to use
        dates.append(("ETA", "eta"))
    facts += [f"{label} {order[key][:10]}" for label, key in dates if order.get(key)]
    if order.get("carrier"):
        facts.append(order["carrier"] + (f" tracking {order['tracking_number']}"
                                         if order.get("tracking_number") else ""))
    return source("tool", f"order #{order['order_number']} ({order['product_name']}, "
                  f"{money(order['amount'])}): " + ", ".join(facts), "get_order_status")


def return_facts(result: dict[str, Any]) -> tuple[Source, ...]:
    """A check_return_policy result: the product's return policy and, given an order, its
    return deadline as the tool computed it."""
    product, status = result["product"], result.get("order")
    facts = [source("policy", f"{product['return_policy']} ({product['name']}: "
                    f"{product['return_window_days']} days)",
                    product.get("policy_title") or f"{product['name']} return policy")]
    if status:
        head = f"order #{status['order_number']} ({status['status']}): "
        if status["return_by"] is None:
            window = f"not delivered yet; the {product['return_window_days']}-day window " \
                     "starts on delivery"
        elif status["returnable"]:
            window = f"returnable until {status['return_by']}"
        else:
            window = f"return window ended {status['return_by']}"
        facts.append(source("tool", head + window, "check_return_policy"))
    return tuple(facts)


def bill_fact(bill: dict[str, Any]) -> Source:
    lines = " + ".join(f"{money(line['amount'])} {line['description']}" for line in bill["lines"])
    before = (f"; previous bill {money(bill['previous_total'])}"
              if bill["previous_total"] is not None else "")
    return source("tool", f"bill of {bill['billed_on'][:10]}: {money(bill['total'])} = "
                  f"{lines}{before}", "latest_bill")


def recommendation_fact(product: dict[str, Any]) -> Source:
    last = product["goes_with"]
    return source("tool", f"last purchase {last['product_name']} (order #{last['order_number']}, "
                  f"{last['category']}); {product['name']} ({money(product['price'])}) "
                  "is not among their orders", "recommend_product")


def tool_sources(name: str, result: dict[str, Any]) -> tuple[Source, ...]:
    """What a model's tool call returned, as facts its answer can be checked against.
    An extension's tool has no known shape to quote, so it gives none; nor does one that
    replaced a built-in tool with rows of another shape (citing must not cost the answer)."""
    try:
        if "error" in result:
            return (source("tool", result["error"]["message"], name),)
        if name == "lookup_customer":
            return (lookup_fact(result),)
        if name == "get_order_status":
            return (order_fact(result["order"]),)
        if name == "check_return_policy":
            return return_facts(result)
    except (KeyError, TypeError, AttributeError):
        pass
    return ()



def new_tool_sources(cited: list[Source], name: str, result: dict[str, Any]) -> list[Source]:
    """The facts a tool's result gives that are not cited yet."""
    new: list[Source] = []
    for s in tool_sources(name, result):
        if s not in cited and s not in new:
            new.append(s)
    return new

def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


class PolicyBook:
    """The knowledge base, read once per call, so a rule can say and cite the policy it
    applies in the knowledge base's own words (no policy wording lives in code)."""

    def __init__(self, tools: ToolRunner):
        self.tools = tools
        self._rows: dict[str, dict[str, Any]] | None = None

    async def sentence(self, policy_id: str, about: str = "") -> str:
        """The sentences of policy ``policy_id`` that mention ``about`` (all of it when none
        does), or "" when this database has no such policy."""
        if self._rows is None:
            self._rows = await self.tools.policies()
        row = self._rows.get(policy_id)
        if row is None:
            return ""
        said = sentences(row["body"])
        return " ".join([s for s in said if about.lower() in s.lower()] or said)

    async def cite(self, policy_id: str, about: str = "") -> tuple[Source, ...]:
        """The same sentences as a source, or nothing when the policy is missing: a rule then
        cites none rather than words the agent cannot find in the knowledge base."""
        text = await self.sentence(policy_id, about)
        return (source("policy", text, self._rows[policy_id]["title"]),) if text else ()
