"""What the rules tell the agent about the caller's account: questions answered from the
knowledge base, return terms of an order or a product they name, their bill, and a product
to offer. Each card quotes the rows it read (sources.py) and says each policy in the
knowledge base's own words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

from .memory import CallMemory
from .outputs import Output, Suggestion, first_name, money
from .sources import (PolicyBook, bill_fact, recommendation_fact, return_facts, sentences,
                      source)
from .tools import ToolRunner

# A knowledge-base answer needs a question, a row sharing at least two of its words (one
# shared word is chance: "home" in "I'm not home" and "home goods"), and a BM25 score well
# ahead of the next row's or more words shared with the question than it.
KB_MIN_MATCHED = 2
KB_LEAD = 1.2
# The call's subject, added to a question's words ("how long does it take?" after a refund).
TOPIC_WORDS = {"refund": "refund", "exchange": "exchange", "billing": "bill",
               "shipping": "shipping"}
# Product nouns too common in other senses to name a product ("my card", "the case").
VAGUE_NOUNS = {"card", "case", "cable", "plan", "monthly", "pack"}
# Topics the rules answer themselves: a knowledge-base answer on them would repeat a card.
ANSWERED_BY_RULES = {"verify_identity", "card_number", "callback", "churn", "escalation"}


class AccountAnswers:
    def __init__(self, tools: ToolRunner, policies: PolicyBook):
        self.tools, self.policies = tools, policies

    async def answer(self, question: str, answered: set[str],
                     memory: CallMemory) -> AsyncIterator[Output]:
        """A question the knowledge base answers: its best-matching sentences, cited; not
        from a row a card of this turn already used (``answered``: policy ids or titles)."""
        subject = " ".join(TOPIC_WORDS[t] for t in memory.topics if t in TOPIC_WORDS)
        result = await self.tools.call("search_knowledge",
                                       {"query": f"{question[:180]} {subject}".strip()})
        matches = result.get("matches") or []
        runner_up = matches[1]["score"] if len(matches) > 1 else 0.0
        runner_up_matched = matches[1]["matched"] if len(matches) > 1 else 0
        if (not matches or matches[0]["matched"] < KB_MIN_MATCHED
                or (matches[0]["score"] < KB_LEAD * runner_up
                    and matches[0]["matched"] <= runner_up_matched)):
            return
        row = matches[0]
        topic = row.get("topic") or "knowledge"
        if (f"kb:{row['id']}" in memory.said or answered & {row["id"], row["title"]}
                or topic in ANSWERED_BY_RULES):
            return
        memory.said.add(f"kb:{row['id']}")
        words = set(re.findall(r"[a-z0-9$%]+", question.lower()))
        ranked = sorted(sentences(row["body"]), key=lambda s: -len(
            words & set(re.findall(r"[a-z0-9$%]+", s.lower()))))
        text = " ".join(ranked[:2])
        yield Suggestion("info", "normal", topic, f"{row['title']}: {text}",
                         key=f"kb:{row['id']}", confidence=0.8,
                         sources=(source("policy", row["body"], row["title"]),))

    async def _product_named(self, memory: CallMemory) -> dict[str, Any] | None:
        """The one product the caller's words name, by its brand word ("the nimbus") or a
        noun only it has ("tablet"); None when none or several do."""
        said = " ".join(t.text.lower() for t in memory.turns if t.leg == "customer")
        words = set(re.findall(r"[a-z]+", said))
        products = await self.tools.products()
        name_words = [re.findall(r"[a-z]{3,}", p["name"].lower()) for p in products]
        nouns = [w[-1] for w in name_words]
        named = [p for p, w in zip(products, name_words)
                 if w[0] in words or (w[-1] in words and nouns.count(w[-1]) == 1
                                      and w[-1] not in VAGUE_NOUNS)]
        return named[0] if len(named) == 1 else None

    async def upsell(self, memory: CallMemory) -> AsyncIterator[Output]:
        if "upsell" in memory.said:
            return
        memory.said.add("upsell")
        product = await self.tools.recommend_product(memory.customer["id"])
        if product is None:
            return
        yield Suggestion("suggestion", "low", "upsell",
                         f"Upsell opportunity: {first_name(memory.customer)} may like the "
                         f"{product['name']} ({money(product['price'])}), which goes with their "
                         "last purchase.", key="upsell", confidence=0.6,
                         sources=(recommendation_fact(product),))

    async def billing(self, memory: CallMemory) -> AsyncIterator[Output]:
        if memory.customer is None or "billing" in memory.said:
            return
        bill = await self.tools.latest_bill(memory.customer["id"])
        if bill is None:
            return
        memory.said.add("billing")
        lines = " + ".join(f"{money(line['amount'])} {line['description']}"
                           for line in bill["lines"])
        billed_on = dt.date.fromisoformat(bill["billed_on"])
        usual = ""
        if bill["previous_total"] is not None and bill["previous_total"] != bill["total"]:
            usual = f" (the bill before was {money(bill['previous_total'])})"
        memory.resolutions.append(f"explained the {money(bill['total'])} bill")
        overage = any("overage" in line["description"].lower() for line in bill["lines"])
        rules = [await self.policies.sentence("POL-BILL", about)
                 for about in ("each line", *(("per GB",) if overage else ()), "overage credit")]
        yield Suggestion("suggestion", "normal", "billing",
                         f"{first_name(memory.customer)} was billed {money(bill['total'])} on "
                         f"{billed_on:%b} {billed_on.day}: {lines}{usual}. " + " ".join(rules),
                         sources=(bill_fact(bill),
                                  *await self.policies.cite("POL-BILL", "overage credit")))

    async def returns(self, memory: CallMemory) -> AsyncIterator[Output]:
        """The return terms of the order under discussion, or of a product the caller named
        (someone who has not bought it yet asks how long they could send it back)."""
        order = memory.last_order
        if order is None and memory.context and memory.context["orders"]:
            order = memory.context["orders"][0]
        if order is None:
            product = await self._product_named(memory)
            if product is None or f"return:{product['id']}" in memory.said:
                return
            memory.said.add(f"return:{product['id']}")
            result = await self.tools.call("check_return_policy", {"product_id": product["id"]})
            if "product" in result:
                terms = result["product"]
                yield Suggestion("suggestion", "normal", "return_policy",
                                 f"Return policy for the {terms['name']} "
                                 f"({terms['return_window_days']}-day window from delivery): "
                                 f"{terms['return_policy']}", key=f"refund:{product['id']}",
                                 sources=return_facts(result))
            return
        if f"return:{order['order_number']}" in memory.said:
            return
        memory.said.add(f"return:{order['order_number']}")
        result = await self.tools.call("check_return_policy", {
            "product_id": order["product_id"], "order_id": order["order_number"]})
        product = result.get("product")
        if product is None:
            return
        days = product["return_window_days"]
        status = result.get("order", {})
        cited = list(return_facts(result))
        if days == 0:  # final sale: the terms say so, a deadline would only confuse
            window = ""
        elif status.get("return_by"):
            window = (f"Order #{order['order_number']} can be returned until "
                      f"{status['return_by']}." if status["returnable"] else
                      f"Order #{order['order_number']} is past its return window "
                      f"(ended {status['return_by']}). "
                      + await self.policies.sentence("POL-RET", "supervisor"))
            if not status["returnable"]:  # the supervisor's part comes from the policy
                cited += await self.policies.cite("POL-RET", "supervisor")
                # What can still be done: a warranty, if the knowledge base has one for it.
                found = await self.tools.call("search_knowledge",
                                              {"query": f"warranty {product['category']}"})
                best = (found.get("matches") or [None])[0]
                if best and best["matched"] >= KB_MIN_MATCHED:
                    window += f" {best['title']}: {sentences(best['body'])[0]}"
                    cited.append(source("policy", best["body"], best["title"]))
        else:
            window = (f"Order #{order['order_number']} has not been delivered yet, so the "
                      f"{days} days start on delivery.")
        memory.resolutions.append(f"return policy for the {product['name']} explained")
        yield Suggestion("suggestion", "normal", "return_policy",
                         f"Return policy for the {product['name']} ({days}-day window): "
                         f"{product['return_policy']} {window}".strip(),
                         key=f"refund:{order['order_number']}", sources=tuple(cited))
