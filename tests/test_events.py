import dataclasses
import json

import numpy as np
import pytest

from callkit import events


def test_events_are_frozen():
    e = events.TranscriptFinal(call_id="c", leg="agent", text="hi", start=0.0, end=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.text = "changed"


def test_every_event_carries_call_id_and_wall_time():
    e = events.CallStarted(call_id="c", agent_name="A")
    assert e.call_id == "c" and e.wall > 1.7e9


def test_fields_are_keyword_only():
    with pytest.raises(TypeError):
        events.LegEnded("c", "customer")


def test_audio_chunks_hold_arrays_and_compare_by_identity():
    samples = np.zeros(320, dtype=np.float32)
    a = events.AudioChunk(call_id="c", leg="customer", t=0.0, samples=samples)
    b = events.AudioChunk(call_id="c", leg="customer", t=0.0, samples=samples)
    assert a != b and a == a


def test_suggestion_sources_travel_as_json():
    fact = {"kind": "tool", "name": "get_order_status", "fact": "order #78901 shipped"}
    started = events.SuggestionStarted(call_id="c", suggestion_id="s", kind="suggestion",
                                       priority="normal", topic="order", sources=(fact,))
    assert json.loads(json.dumps(events.to_json(started)))["sources"] == [fact]
    done = events.SuggestionDone(call_id="c", suggestion_id="s", kind="info", priority="low",
                                 topic="t", message="m")
    assert done.sources == ()  # an engine with nothing to cite
