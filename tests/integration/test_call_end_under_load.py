"""Regression test for issue 17: ending calls mid-speech on a busy machine always returns.

The hang needed a frame to reach a leg's capture in the same event-loop pass as the cancel
that ends it; two CPU hogs make frames bunch up so that happens often. Each end runs against
a deadline, so a hang fails this test instead of stalling the suite."""

import asyncio
import subprocess
import sys

import pytest

from callkit.center import CallCenter
from callkit.recordings import load_recording

pytestmark = pytest.mark.integration


@pytest.fixture
def cpu_hogs():
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for hog in hogs:
        hog.kill()
        hog.wait()


async def test_calls_ended_mid_speech_under_load_always_end(settings, cpu_hogs, no_leaks):
    recording = load_recording("sarah_order")
    async with CallCenter(settings) as center:
        for i in range(12):
            call = center.start_call()
            for leg, path in recording.legs.items():
                await call.play(leg, path, speed=3.0)
            await asyncio.sleep(0.2 + 0.15 * i)  # a different moment of the call each time
            async with asyncio.timeout(60):
                await call.end()
            assert call.status == "ended"
