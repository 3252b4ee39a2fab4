"""The Phone widget's kernel side, without a browser: signaling errors and teardown."""

import asyncio

import pytest

from callkit.center import CallCenter
from callkit.recordings import load_recording
from callkit.widgets import Phone
from tests.widget_messages import sent_by, settle

pytestmark = pytest.mark.integration


async def test_a_bad_offer_is_answered_with_an_error_message(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = center.start_call()
        phone = Phone(call, leg="agent")
        sent = sent_by(phone)
        phone._on_msg(phone, {"kind": "offer"}, [])
        phone._on_msg(phone, {"kind": "offer", "sdp": "v=0\r\n"}, [])
        await settle()
        assert [m["kind"] for m in sent] == ["error", "error"]
        assert "no SDP" in sent[0]["message"] and "no audio" in sent[1]["message"]
        phone.close()
        await call.end()


async def test_closing_the_widget_hangs_up_its_leg_and_stops_following(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = center.start_call()
        await call.play("customer", load_recording("sarah_order").legs["customer"], speed=3.0)
        phone = Phone(call, leg="customer")
        levels = sent_by(phone)
        await asyncio.sleep(0.5)
        assert call.legs == {"customer": "connected"} and levels
        phone.close()
        await settle()
        assert call.legs == {}  # peer and capture closed; the call itself goes on
        assert call.status == "active"
        assert not [s for s in call.bus._subscribers if s.name == "phone:customer"]
        await call.end()


async def test_muting_from_the_widget_mutes_the_leg(settings, no_leaks):
    async with CallCenter(settings) as center:
        call = center.start_call()
        await call.play("agent", load_recording("sarah_order").legs["agent"], speed=3.0)
        phone = Phone(call, leg="agent")
        phone.muted = True
        await settle()
        assert call.legs == {"agent": "muted"}
        phone.close()
        await call.end()


def test_a_phone_needs_a_running_loop(settings):
    with pytest.raises(RuntimeError, match="running asyncio loop"):
        Phone(object(), leg="agent")
    with pytest.raises(ValueError, match="leg must be"):
        Phone(object(), leg="boss")
