import asyncio

from callkit.bus import Bus
from callkit.events import CallEnded, CallStarted, TranscriptFinal


def final(text: str) -> TranscriptFinal:
    return TranscriptFinal(call_id="c", leg="customer", text=text, start=0.0, end=1.0)


async def test_subscribers_get_only_their_kinds_in_order():
    bus = Bus()
    finals, everything = [], []
    bus.subscribe(finals.append, TranscriptFinal)
    bus.subscribe(everything.append)
    bus.publish(CallStarted(call_id="c", agent_name="A"))
    for i in range(5):
        bus.publish(final(str(i)))
    await bus.drain()
    assert [e.text for e in finals] == ["0", "1", "2", "3", "4"]
    assert len(everything) == 6
    await bus.close()


async def test_a_slow_subscriber_does_not_delay_another():
    bus = Bus()
    fast, release = [], asyncio.Event()

    async def slow(_event):
        await release.wait()

    bus.subscribe(slow, TranscriptFinal)
    bus.subscribe(fast.append, TranscriptFinal)
    bus.publish(final("x"))
    await asyncio.sleep(0.01)
    assert len(fast) == 1
    release.set()
    await bus.drain()
    await bus.close()


async def test_drain_waits_for_events_that_handlers_publish():
    bus = Bus()
    seen = []

    async def echo(event):
        await asyncio.sleep(0.01)
        bus.publish(CallEnded(call_id="c"))

    bus.subscribe(echo, CallStarted)
    bus.subscribe(seen.append, CallEnded)
    bus.publish(CallStarted(call_id="c", agent_name="A"))
    await bus.drain()
    assert len(seen) == 1
    await bus.close()


async def test_a_failing_subscriber_is_logged_and_keeps_running(caplog):
    bus = Bus()
    seen = []

    def broken(event):
        seen.append(event)
        raise RuntimeError("boom")

    bus.subscribe(broken, TranscriptFinal, name="broken")
    bus.publish(final("a"))
    bus.publish(final("b"))
    await bus.drain()
    assert len(seen) == 2
    assert "subscriber broken failed" in caplog.text
    await bus.close()


async def test_close_cancels_every_task():
    bus = Bus()
    bus.subscribe(lambda e: None)
    await bus.close()
    bus.publish(final("ignored"))  # publishing after close is a no-op
    leftover = [t for t in asyncio.all_tasks() if t.get_name().startswith("bus:")]
    assert leftover == []


async def test_drain_returns_when_a_subscriber_leaves_with_events_unhandled():
    # A client that goes away (an SSE tab closed) while the call ends must not hang the end.
    bus = Bus()
    stuck = asyncio.Event()

    async def never_done(_event):
        await stuck.wait()

    sub = bus.subscribe(never_done, TranscriptFinal)
    for text in "abc":
        bus.publish(final(text))
    drain = asyncio.create_task(bus.drain())
    await asyncio.sleep(0.01)
    assert not drain.done()
    await bus.unsubscribe(sub)
    await asyncio.wait_for(drain, 1.0)
    await bus.close()
