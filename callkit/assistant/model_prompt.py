"""What a language model is asked, and the shapes its answers must take.

The call is laid out so that each turn's prompt begins with the previous turn's: the system
prompt and the worked examples (never changed), then the transcript (only ever appended to),
then what changes every turn (the facts, the question). A server with a prompt cache (llama.cpp)
then reads only the new lines; that is what makes a small model on a laptop answer in about
a second rather than ten.

With ``structured`` output (the local engine) the answer is bound by a JSON schema: a card,
"nothing to add", or a tool call written as ``{"tool": …, "arguments": …}``, since small
models behind llama.cpp answer native tool calls as plain text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .memory import CallMemory
from .outputs import TOPICS
from .redact import redact
from .tool_schemas import TOOL_SCHEMAS

SYSTEM_PROMPT = """You are an AI assistant helping a call center agent in real time.
Read the call and give the agent ONE short, actionable card:
- a suggestion: the next sentence the agent could say to the customer, in the agent's voice;
- an alert: a risk (angry customer, churn, a promise against policy);
- info: a fact from the customer's record or the policies that the agent needs now.
Answer with exactly one JSON object and nothing else, keys in this order:
{"type": "suggestion", "topic": "TOPIC", "confidence": 0.8, "message": "..."}
TOPIC is one of: order_status, shipping, return_policy, billing, verify_identity, churn,
escalation, upsell, policy_violation, frustration, callback, other. "confidence" (optional) is
how sure you are that the card helps, from 0 to 1. Keep the message under 35 words.
Use only the facts given or returned by a tool; never invent order details, dates or amounts.
To look something up first, answer {"tool": NAME, "arguments": {...}} with one of the tools
get_order_status (order_id), lookup_customer (query), check_return_policy (product_id),
search_knowledge (query); its result comes back, then answer with the card.
Never repeat what the agent was already shown, or the customer's own words.
If there is nothing useful to add, answer {"type": "none"}."""

# Worked turns, given as earlier turns of the chat: a small model follows examples far
# better than instructions (measured with the kit's local model: without them it refused,
# or described the call instead of speaking to the customer). Their people, orders and
# amounts are made up and appear nowhere else, so a card that copies them is cut
# (model_output.card_problem) rather than shown as a fact.
EXAMPLES = [
    ("customer: Hi, my package still isn't here and I need it soon.",
     "Customer: Tom Reed, account #11111, gold tier.\nOrder #12345: Trail Backpack (P-3003), "
     "shipped Monday via UPS, arriving Thursday.",
     {"type": "suggestion", "topic": "shipping", "confidence": 0.9, "message":
      "I'm sorry for the wait, Tom. Your backpack, order #12345, shipped Monday with UPS and "
      "is due Thursday. Would you like me to send you the tracking link?"}),
    ("customer: I was charged twice this month and I'm really fed up, I've called before.",
     "Customer: Ana Diaz, account #22222, standard tier.\nLatest bill: the plan charged twice.",
     {"type": "suggestion", "topic": "billing", "confidence": 0.8, "message":
      "I understand, Ana, and I'm sorry you had to call again. I can see your plan was "
      "charged twice on the latest bill; let me get that corrected for you."}),
    ("customer: The jacket doesn't fit, I'd like to send it back for my money.",
     "Customer: Lee Park, account #33333, standard tier.\nOrder #45678: Rain Jacket (P-4004), "
     "delivered 45 days ago. Return window: 30 days for clothing.",
     {"type": "suggestion", "topic": "return_policy", "confidence": 0.8, "message":
      "I'm sorry it doesn't fit, Lee. Your jacket arrived 45 days ago and clothing can be "
      "returned within 30 days, so I can't refund it, but let me see what else I can do."}),
]
# A worked tool call: the order is not among the facts, so the model looks it up first.
TOOL_EXAMPLE = (
    "customer: Can you tell me where order 24680 is?",
    "Customer not identified yet.",
    {"tool": "get_order_status", "arguments": {"order_id": "24680"}},
    {"found": True, "order_number": "24680", "status": "shipped", "carrier": "DHL",
     "eta": "Friday"},
    {"type": "suggestion", "topic": "order_status", "confidence": 0.9, "message":
     "Order #24680 shipped with DHL and should arrive Friday. May I have your name to confirm "
     "the account?"})
QUESTION = "What should the agent know or say next?"


def _turn_message(transcript: str, fact_lines: list[str]) -> str:
    return "\n".join(["Call so far (most recent last):", transcript, "", "Facts:", *fact_lines,
                      "", QUESTION])


def messages(memory: CallMemory, *, whole_call: bool = False) -> list[dict[str, str]]:
    """System prompt, worked examples, then this turn: the first two never change, so a
    prompt cache keeps them."""
    chat = [{"role": "system", "content": SYSTEM_PROMPT}]
    for said, known, answer in EXAMPLES:
        chat += [{"role": "user", "content": _turn_message(said, known.split("\n"))},
                 {"role": "assistant", "content": json.dumps(answer)}]
    said, known, call, result, answer = TOOL_EXAMPLE
    chat += [{"role": "user", "content": _turn_message(said, [known])},
             {"role": "assistant", "content": json.dumps(call)},
             {"role": "user", "content": tool_result_message(call["tool"], result)},
             {"role": "assistant", "content": json.dumps(answer)}]
    chat.append({"role": "user", "content": context_message(memory, whole_call=whole_call)})
    return chat


SUMMARY_PROMPT = """Summarize this support call for the CRM, using only what was said.
Answer with one JSON object:
{"reason": "why the customer called, one sentence", "resolution": "what was done or agreed",
"sentiment": "positive|neutral|negative", "text": "3-4 sentences"}"""

# A remote model sees the last turns; the local one the whole call, dropped from the front in
# blocks of WINDOW_STEP turns so the start of its prompt (its cache) stays put between drops.
TRANSCRIPT_TURNS = 12
# The local model samples with a fixed seed: the same call gets the same answers, run after
# run (a lab's notebook, a test, an evaluation).
LOCAL_SEED = 7
WINDOW_TURNS = 80
WINDOW_STEP = 40
CARD_TOPICS = [t for t in TOPICS if t not in ("identified", "tier")]
TOOL_NAMES = [t["function"]["name"] for t in TOOL_SCHEMAS]


def call_transcript(memory: CallMemory, whole_call: bool) -> str:
    turns = memory.turns
    if whole_call:
        start = max(0, len(turns) - WINDOW_TURNS)
        turns = turns[start - start % WINDOW_STEP:] if start else turns
    else:
        turns = turns[-TRANSCRIPT_TURNS:]
    return "\n".join(redact(f"{t.leg}: {t.text}") for t in turns)


def facts(memory: CallMemory) -> list[str]:
    lines = []
    if memory.customer:
        c = memory.customer
        lines.append(f"Customer: {c['name']}, account #{c['account_number']}, {c['tier']} tier, "
                     f"lifetime value ${c['lifetime_value']:,.2f}.")
        for o in (memory.context or {}).get("orders", [])[:3]:
            lines.append(f"Order #{o['order_number']}: {o['product_name']} ({o['product_id']}), "
                         f"{o['status']}.")
    else:
        lines.append("Customer not identified yet.")
    if memory.topics:
        lines.append("Topics so far: " + ", ".join(memory.topics) + ".")
    if memory.commitments:
        lines.append("Agent commitments: " + "; ".join(memory.commitments) + ".")
    return lines


def context_message(memory: CallMemory, *, whole_call: bool = False) -> str:
    """The user message of a turn. Every line is redacted (line by line: a pattern must not
    match across two lines): the transcript, and also what the agent promised ("I'll e-mail
    it to …") and the customer record's own words."""
    return _turn_message(call_transcript(memory, whole_call),
                         [redact(line) for line in facts(memory)])


def tool_result_message(name: str, result: dict[str, Any]) -> str:
    """A tool's result handed back to a model that wrote its call as content (there is no
    call id to answer to)."""
    return (f"Result of {name}: " + redact(json.dumps(result, default=str))
            + "\nNow answer with the card for the agent.")


EXAMPLE_MESSAGES = 1 + 2 * len(EXAMPLES) + 4  # system prompt and worked examples


def card_schema(with_tools: bool) -> dict[str, Any]:
    """The JSON schema of an answer: a card or "none", and while tools are allowed, a call
    of one of them with its own parameters."""
    card = {"type": "object", "additionalProperties": False,
            "properties": {"type": {"enum": ["suggestion", "alert", "info"]},
                           "topic": {"enum": CARD_TOPICS},
                           "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                           "message": {"type": "string", "minLength": 8, "maxLength": 240}},
            "required": ["type", "topic", "message"]}
    nothing = {"type": "object", "additionalProperties": False,
               "properties": {"type": {"const": "none"}}, "required": ["type"]}
    choices = [card, nothing]
    if with_tools:
        choices += [{"type": "object", "additionalProperties": False,
                     "properties": {"tool": {"const": t["function"]["name"]},
                                    "arguments": t["function"]["parameters"]},
                     "required": ["tool", "arguments"]} for t in TOOL_SCHEMAS]
    return {"anyOf": choices}


SUMMARY_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"reason": {"type": "string", "maxLength": 200},
                   "resolution": {"type": "string", "maxLength": 200},
                   "sentiment": {"enum": ["positive", "neutral", "negative"]},
                   "text": {"type": "string", "maxLength": 600}},
    "required": ["reason", "resolution", "sentiment", "text"]}


def response_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def first_object(text: str) -> dict[str, Any]:
    """The first JSON object of a reply: models wrap JSON in fences or prose, or write
    several objects in one reply."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            data, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            return data
    raise ValueError("no JSON object")


def content_tool_call(text: str) -> tuple[str, dict[str, Any]] | None:
    """A tool call a model wrote as JSON in its content: ``{"tool"|"name": T, "arguments":
    {…}}``, bare or inside ```json fences or <tool_call> tags, T one of the kit's tools."""
    try:
        data = first_object(text)
    except ValueError:
        return None
    name = data.get("tool", data.get("name"))
    arguments = data.get("arguments", data.get("parameters", {}))
    if name in TOOL_NAMES and isinstance(arguments, dict):
        return name, arguments
    return None
