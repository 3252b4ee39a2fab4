"""Identification that is right or silent, and orders shown only as their owner's: the rules
engine with the real tools on a freshly seeded DuckDB plus each test's own fixture rows."""

import datetime as dt

import pytest

from callkit.assistant.memory import CallMemory
from callkit.assistant.rules import ContextUpdate, RulesEngine, Suggestion
from callkit.assistant.tools import ToolRunner
from callkit.events import TranscriptFinal
from callkit.store.db import connect
from callkit.store.fixtures import apply_fixtures
from callkit.store.seed import seed
from tests.conftest import SEED_DAY

ANNA = {"name": "Anna Kowalczyk", "email": "anna.k@example.org", "phone": "(555) 301-4477",
        "account_number": "60311", "tier": "standard"}
BEN = {"name": "Ben Okafor", "email": "ben.okafor@example.org", "phone": "(555) 301-9911",
       "account_number": "60322", "tier": "platinum"}
BEN_ORDER = {"account_number": "60322", "order_number": "70455", "product_id": "P-1010",
             "status": "delivered", "order_date": "2026-11-01", "carrier": "UPS",
             "delivered_at": "2026-11-05"}


@pytest.fixture
def con():
    con = connect(":memory:")
    seed(con, today=SEED_DAY)
    apply_fixtures(con, {"customers": [ANNA, BEN], "orders": [BEN_ORDER]})
    yield con
    con.close()


class Call:
    def __init__(self, con):
        async def run(fn, *args):
            return fn(con, *args)
        self.memory = CallMemory()
        self.engine = RulesEngine(ToolRunner(run, lambda *c: None, today=SEED_DAY))
        self.outputs = []

    async def say(self, leg, text):
        final = TranscriptFinal(call_id="c", leg=leg, text=text, start=0, end=1)
        self.memory.add_turn(leg, text, 0)
        out = [o async for o in self.engine.on_final(final, self.memory)]
        self.outputs += out
        return out

    def shown(self, topic=None):
        return [o for o in self.outputs if isinstance(o, Suggestion)
                and (topic is None or o.topic == topic)]

    def customers_shown(self):
        return [o.context["customer"]["name"] for o in self.outputs
                if isinstance(o, ContextUpdate) and o.context]


async def test_the_agents_name_never_identifies_even_when_a_customer_has_it(con):
    call = Call(con)
    await call.say("agent", "Thanks for calling, my name is Jeffrey Johnson, how can I help?")
    await call.say("customer", "Hi Jeffrey, it's Monday Morning and I'm already annoyed.")
    assert call.memory.customer is None and call.customers_shown() == []


async def test_a_street_that_looks_like_a_name_is_not_one(con):
    apply_fixtures(con, {"customers": [{**ANNA, "name": "Jackson Heights",
                                        "email": "jh@example.org", "account_number": "60399"}]})
    call = Call(con)
    await call.say("customer", "Yeah I live on Jackson Heights Road, the package never came.")
    assert call.memory.customer is None


async def test_a_spelled_name_identifies_and_asks_to_verify(con):
    call = Call(con)
    await call.say("customer", "It's Anna Kovalchik, that's K O W A L C Z Y K.")
    assert call.customers_shown() == ["Anna Kowalczyk"]
    assert call.shown("verify_identity"), "a name alone must ask for verification"


async def test_another_accounts_order_is_never_shown_as_the_callers(con):
    call = Call(con)
    await call.say("customer", "My account number is six oh three one one.")
    await call.say("customer", "I'm calling about order 70455, it's my brother's lamp.")
    warning = call.shown("verify_identity")[-1]
    assert warning.kind == "alert" and "#70455 belongs to another account" in warning.text
    assert "Lamp" not in warning.text and "UPS" not in warning.text
    assert not call.shown("order_status") and "70455" not in call.memory.orders


async def test_an_order_before_identification_waits_for_the_caller(con):
    call = Call(con)
    await call.say("customer", "Hi, it's about order seven oh four five five.")
    assert call.memory.customer is None and not call.shown("order_status")
    assert [c["name"] for c in call.memory.candidates] == ["Ben Okafor"]
    await call.say("customer", "The account is six oh three two two.")
    assert call.customers_shown() == ["Ben Okafor"]
    order = call.shown("order_status")
    assert len(order) == 1 and "Lumen Desk Lamp" in order[0].text


async def test_the_agent_can_confirm_a_candidate_but_not_introduce_one(con):
    call = Call(con)
    await call.say("customer", "Hi, it's about order seven oh four five five.")
    await call.say("agent", "Am I speaking with Jeffrey Johnson?")
    assert call.memory.customer is None
    await call.say("agent", "Okay, and am I speaking with Ben Okafor?")
    assert call.customers_shown() == ["Ben Okafor"]


async def test_a_surer_mention_corrects_a_name_guess(con):
    call = Call(con)
    await call.say("customer", "Hi, this is Jeffrey Johnson.")
    guessed = call.memory.customer["name"]
    assert guessed == "Jeffrey Johnson"
    await call.say("customer", "Sorry, it's my wife's account, the e-mail is anna dot k at "
                               "example dot org.")
    assert call.memory.customer["name"] == "Anna Kowalczyk"
    correction = call.shown("identified")[-1]
    assert correction.text.startswith("Correction: the caller is Anna Kowalczyk")
    # A weaker mention (a name) does not undo the e-mail.
    await call.say("customer", "Jeffrey Johnson is my husband.")
    assert call.memory.customer["name"] == "Anna Kowalczyk"


async def test_same_sounding_names_are_candidates_not_a_pick(con):
    apply_fixtures(con, {"customers": [{**ANNA, "name": "Ana Kowalczyk", "email": "ana@x.org",
                                        "account_number": "60377"}]})
    call = Call(con)
    await call.say("customer", "Hello, my name is Anna Kowalczyk.")
    assert call.memory.customer is None
    names = sorted(c["name"] for c in call.memory.candidates)
    assert names == ["Ana Kowalczyk", "Anna Kowalczyk"]


async def test_policy_questions_are_answered_from_the_knowledge_base(con):
    call = Call(con)
    await call.say("customer", "How long do refunds take to show up?")
    answer = call.shown("return_policy")
    assert answer and "5 business days" in answer[0].text
    assert answer[0].sources[0]["kind"] == "policy"
    # A row added to the knowledge base is used on the next call.
    con.execute("INSERT INTO policies (id, title, body, kind, topic) VALUES ('FAQ-PETS', "
                "'Pets in stores', 'Dogs on a leash are welcome in every store.', 'faq', "
                "'store')")
    call = Call(con)
    await call.say("customer", "Can I bring my dog to the store?")
    assert any("leash" in s.text for s in call.shown("store"))


def test_return_windows_are_judged_on_the_engines_date(con):
    from callkit.assistant.tools import check_return_policy
    args = {"product_id": "P-1010", "order_id": "70455"}  # delivered Nov 5, 45 days
    assert check_return_policy(con, args, today=dt.date(2026, 12, 20))["order"]["returnable"]
    assert not check_return_policy(con, args, today=dt.date(2026, 12, 21))["order"]["returnable"]


async def test_a_title_and_a_surname_shared_by_two_are_candidates(con):
    apply_fixtures(con, {"customers": [
        {**BEN, "name": "Lionel Okafor", "email": "lionel@example.org", "account_number": "60333"}]})
    call = Call(con)
    await call.say("customer", "Hi, this is Mr. Okafor.")
    assert call.memory.customer is None
    assert sorted(c["name"] for c in call.memory.candidates) == ["Ben Okafor", "Lionel Okafor"]


async def test_a_product_named_before_buying_gets_its_return_terms(con):
    call = Call(con)
    await call.say("customer", "I'm thinking of getting the Nimbus tablet for my dad. If he "
                               "doesn't like it, how long would I have to send it back?")
    terms = call.shown("return_policy")
    assert any("Nimbus 10-inch Tablet (15-day window" in s.text for s in terms)
    assert call.memory.customer is None


async def test_refund_promises_are_checked_against_the_terms(con):
    apply_fixtures(con, {"orders": [{**BEN_ORDER, "order_number": "70466", "product_id": "P-1011",
                                     "delivered_at": "2026-11-20"}]})
    call = Call(con)
    await call.say("customer", "Account six oh three two two. I opened the Brew Pro coffee "
                               "maker and used it twice, order seven oh four six six.")
    await call.say("agent", "A refund's not something I can do past the window.")
    assert not call.shown("policy_violation")  # declining is no promise
    await call.say("agent", "No problem, you'll get the full one forty nine back on your card.")
    alert, = call.shown("policy_violation")
    assert "restocking fee" in alert.text


async def test_the_agent_looking_a_policy_up_gets_the_answer(con):
    call = Call(con)
    await call.say("agent", "Let me check what our price match rules are.")
    assert any("14 days" in s.text for s in call.shown("billing"))


async def test_a_surname_that_is_also_a_word_still_names_a_customer(con):
    apply_fixtures(con, {"customers": [{**ANNA, "name": "Helen Park", "email": "hp@example.org",
                                        "account_number": "60344"}]})
    call = Call(con)
    await call.say("customer", "Hi, this is Helen Park.")
    assert call.customers_shown() == ["Helen Park"]


async def test_a_refund_issued_today_is_no_promise_it_arrives_today(con):
    call = Call(con)
    await call.say("customer", "Account six oh three two two, it's about order 70455, the lamp.")
    await call.say("agent", "I've processed the refund today; it takes a few business days.")
    assert not call.shown("policy_violation")
    await call.say("agent", "Actually you'll have the money back tomorrow, guaranteed.")
    assert [s.topic for s in call.shown("policy_violation")] == ["policy_violation"]
