"""A real four-minute support call (../shared/data/calls) through every real part."""

import duckdb
import pytest

from callkit.center import CallCenter
from callkit.events import SuggestionDone, TranscriptFinal
from callkit.recordings import RecordedCall
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration


async def test_a_four_minute_call_gets_transcribed_without_suggestion_spam(settings, no_leaks):
    calls = SHARED_DATA / "calls"
    recording = RecordedCall(id="auto_repairs_40", title="auto repair shop call", legs={
        "customer": calls / "auto_repairs_40_UTC_caller.wav",
        "agent": calls / "auto_repairs_40_UTC_agent.wav"})
    events = []
    async with CallCenter(settings.replace(replay_speed=4.0)) as center:
        call = await center.replay(recording, observer=events.append)
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert {f.leg for f in finals} == {"customer", "agent"}
    assert len(finals) >= 20
    minutes = call.duration_s / 60
    assert minutes > 3.5
    done = [e for e in events if isinstance(e, SuggestionDone)]
    assert len(done) <= settings.suggestions_per_minute * minutes
    assert len({d.message for d in done}) == len(done)  # never the same thing twice
    con = duckdb.connect(str(settings.db_path), read_only=True)
    stored = con.execute("SELECT count(*) FROM transcripts WHERE call_id = ?",
                         [call.call_id]).fetchone()[0]
    summary = con.execute("SELECT text FROM call_summaries WHERE call_id = ?",
                          [call.call_id]).fetchone()
    con.close()
    assert stored == len(finals) and summary is not None
