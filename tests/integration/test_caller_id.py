"""Caller ID: the caller's number at call start fills the customer panel before anyone speaks
(issue 11); a number that matches no one, or several, says so and waits for what is said."""

import pytest

from callkit.center import CallCenter
from callkit.events import CustomerContext, SuggestionDone, TranscriptFinal, TranscriptPartial
from tests.test_call_end import NoSpeechRecognizer
from tests.waiting import until

pytestmark = pytest.mark.integration


def contexts(call):
    return [e for _, e in call.journal.since(0) if isinstance(e, CustomerContext)]


async def test_sarahs_number_shows_her_before_the_first_word(no_leaks, settings):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call(title="caller id", caller="(415) 555-0142")
        await until(lambda: contexts(call), "the customer panel")
        said = [e for _, e in call.journal.since(0)
                if isinstance(e, (TranscriptPartial, TranscriptFinal))]
        await call.end()
        stored = await center.db.run(lambda con: con.execute(
            "SELECT caller_number, customer_id FROM calls WHERE call_id = $1",
            [call.call_id]).fetchone())
    assert said == []
    context = contexts(call)[0]
    assert context.customer["name"] == "Sarah Johnson"
    assert "caller ID" in context.reason
    assert any(o["order_number"] == "78901" for o in context.orders)
    assert stored == ("(415) 555-0142", context.customer["id"])


@pytest.mark.parametrize("number, says", [("+1 999 000 1234", "matches no customer")])
async def test_an_unknown_number_says_so_and_waits_for_what_is_said(no_leaks, settings,
                                                                    number, says):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call(title="unknown caller", caller=number)
        await until(lambda: contexts(call), "the caller ID verdict")
        cards = lambda: [e for _, e in call.journal.since(0) if isinstance(e, SuggestionDone)]
        await until(cards, "a card saying so")
        await call.end()
    assert contexts(call)[0].customer is None and says in contexts(call)[0].reason
    assert says in cards()[0].message


async def test_a_bad_caller_id_is_refused(no_leaks, settings):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        with pytest.raises(ValueError, match="not a phone number"):
            center.start_call(caller="call me maybe")


@pytest.mark.parametrize("number", ["(312) 555-0199", "+1 312 555 0199"])
async def test_a_whole_number_picks_its_owner_among_numbers_ending_alike(no_leaks, settings,
                                                                         number):
    # Cameron Farrell's (201) 555-0199 ends like John Doe's: the caller ID has every digit.
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call(title="john", caller=number)
        await until(lambda: contexts(call), "the customer panel")
        await call.end()
    assert contexts(call)[0].customer["name"] == "John Doe"
