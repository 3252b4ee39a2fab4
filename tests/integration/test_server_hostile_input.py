"""The call server's routes against hostile values (issue 15): SQL quotes and wildcards, RTL
marks, emoji, NUL, lone surrogates, 100 kB strings and values of the wrong type in every field
and query parameter, with the agent's token. Each answer is a short 4xx, never a 500, and the
database is left as it was. Property-based (hypothesis), derandomized."""

import json

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.assistant.test_tools_hostile_input import INJECTIONS, hostile_value, state
from tests.integration.test_roles import served  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration
FIELDS = ["call", "sdp", "type", "leg", "caller", "recording", "rejoin"]
bodies = st.dictionaries(st.sampled_from(FIELDS), hostile_value, max_size=len(FIELDS))
queries = st.dictionaries(st.sampled_from(["call", "after", "leg"]),
                          st.sampled_from(INJECTIONS[:-4]), max_size=3)  # URLs stay short
EXAMPLES = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def refused_briefly(status: int, body: bytes) -> None:
    assert 400 <= status < 500, body[:300]
    assert len(body) < 400 and "error" in json.loads(body)


@EXAMPLES
@given(path=st.sampled_from(["/offer", "/play", "/hangup"]), body=bodies, query=queries)
async def test_hostile_values_get_a_short_4xx_and_change_nothing(served, path, body, query):
    center, server, session = served
    if not center.calls:  # one live call through all the examples: none of them may end it
        center.start_call(title="kept")
    call = next(iter(center.calls.values()))
    await call.bus.drain()  # its own rows are written
    before = await center.db.run(state)
    headers = {"X-Callkit-Token": server.token}
    payload = json.dumps(body, default=str).encode("utf-8", "surrogatepass")
    async with session.post(server.url + path, data=payload, params=query,
                            headers={**headers, "Content-Type": "application/json"}) as resp:
        refused_briefly(resp.status, await resp.read())
    for get in ("/", "/events/" + str(query.get("call", "x"))):
        if get.startswith("/events/") and query.get("after") is None:
            query = {**query, "after": "x"}  # a stream of a real call would stay open
        try:
            async with session.get(server.url + get, params=query, headers=headers) as resp:
                refused_briefly(resp.status, await resp.read())
        except aiohttp.InvalidURL:
            pass  # the client itself refuses to send it
    assert await center.db.run(state) == before
    assert call.status == "active"
