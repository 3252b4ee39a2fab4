"""A recorded call with the OpenAI-compatible engine: real aiortc, whisper and DuckDB, and a
real local HTTP server speaking the chat-completions streaming protocol with tool calls."""

import json

import duckdb
import pytest

from callkit.bench.openai_stub import (FakeOpenAIServer, Scenario, content_chunks,
                                       tool_call_chunks)
from callkit.center import CallCenter
from callkit.events import SuggestionToken

pytestmark = pytest.mark.integration

ANSWER = ('{"type": "suggestion", "priority": "normal", "topic": "order", "message": '
          '"Sarah\'s headphones are on their way with FedEx; read her the tracking number '
          'and ETA from the lookup."}')
SUMMARY = {"reason": "Where is order 78901", "resolution": "Shipped via FedEx; return "
           "label promised", "action_items": ["E-mail the return label today"],
           "sentiment": "positive", "text": "Sarah Johnson asked about order 78901."}


async def test_a_call_with_the_model_engine_is_streamed_and_stored(settings, no_leaks):
    server = await FakeOpenAIServer(cycle=[Scenario(
        chunks=content_chunks('{"type": "none"}'),
        message={"role": "assistant", "content": json.dumps(SUMMARY)})]).start()
    server.scenarios = [
        Scenario(chunks=tool_call_chunks("call_1", "get_order_status", '{"order_id": "78901"}')),
        Scenario(chunks=content_chunks(ANSWER)),
    ]
    events = []
    try:
        engine = settings.replace(assistant_engine="openai", openai_base_url=server.base_url,
                                  openai_api_key=server.token)
        async with CallCenter(engine) as center:
            call = await center.replay("sarah_order", observer=events.append)
    finally:
        await server.close()

    con = duckdb.connect(str(settings.db_path), read_only=True)
    messages = [m for m, in con.execute(
        "SELECT message FROM ai_suggestions WHERE call_id = ? AND topic = 'order_status'",
        [call.call_id]).fetchall()]
    tools = [json.loads(a) for n, a in con.execute(
        "SELECT name, arguments FROM tool_calls WHERE call_id = ? AND name = 'get_order_status'",
        [call.call_id]).fetchall()]
    written_by, text = con.execute("SELECT written_by, text FROM call_summaries WHERE call_id = ?",
                                   [call.call_id]).fetchone()
    customer = con.execute("SELECT cu.name FROM calls c JOIN customers cu ON cu.id = c.customer_id"
                           " WHERE c.call_id = ?", [call.call_id]).fetchone()
    con.close()
    assert json.loads(ANSWER)["message"] in messages
    assert {"order_id": "78901"} in tools  # the model's own call, run on DuckDB
    assert (written_by, text) == ("openai", SUMMARY["text"])
    assert customer == ("Sarah Johnson",)
    # Streamed in pieces as the model sent them, not whole.
    assert len([e for e in events if isinstance(e, SuggestionToken)]) > 10
    first = server.requests[0]
    assert first["stream"] and "sarah johnson" in json.dumps(first["messages"]).lower()
    assert server.requests[1]["messages"][-1]["role"] == "tool"
