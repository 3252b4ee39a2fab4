"""The assistant stage on a bus: sentiment, streamed suggestions, feedback, latency marks."""


from callkit.assistant.stage import Assistant
from callkit.bus import Bus
from callkit.config import Settings
from callkit.events import (CallEnded, CallSummary, CustomerContext, LatencyMark, Sentiment,
                            SuggestionDone, SuggestionFeedback, SuggestionStarted,
                            SuggestionToken, TranscriptFinal, TranscriptPartial)
from callkit.bench.openai_stub import FakeOpenAIServer, Scenario, content_chunks


def final(text, leg="customer", turn=1, at=0.0):
    return TranscriptFinal(call_id="c", leg=leg, text=text, start=at, end=at + 2, turn=turn)


async def run(fixed_con, finals, settings=None, feedback_on=None):
    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    bus, events = Bus(), []
    assistant = Assistant("c", settings or Settings(token_delay_s=0), run_db, bus.publish)
    bus.subscribe(assistant.handle, TranscriptFinal, TranscriptPartial, SuggestionFeedback,
                  CallEnded)
    bus.subscribe(events.append)
    for f in finals:
        bus.publish(f)
        await bus.drain()
        await assistant.settle()  # the model's answer, streamed while later events come
        if feedback_on:
            for e in list(events):
                if isinstance(e, SuggestionDone) and feedback_on in e.message:
                    bus.publish(SuggestionFeedback(call_id="c", suggestion_id=e.suggestion_id,
                                                   action="dismissed"))
            await bus.drain()
    bus.publish(CallEnded(call_id="c"))
    await bus.drain()
    await bus.close()
    return events


async def test_a_turn_gets_sentiment_context_and_a_streamed_suggestion(fixed_con):
    events = await run(fixed_con, [final("Hi, I'm Sarah Johnson, I need help with order 78901.")])
    assert isinstance(events[1], Sentiment) and events[1].leg == "customer"
    assert any(isinstance(e, CustomerContext) and e.customer["name"] == "Sarah Johnson"
               for e in events)
    started = [e for e in events if isinstance(e, SuggestionStarted)]
    done = {e.suggestion_id: e for e in events if isinstance(e, SuggestionDone)}
    for s in started:
        tokens = "".join(e.text for e in events if isinstance(e, SuggestionToken)
                         and e.suggestion_id == s.suggestion_id)
        assert tokens == done[s.suggestion_id].message
    marks = [e.name for e in events if isinstance(e, LatencyMark)]
    assert marks.count("first_token") >= 1 and "suggestion_done" in marks
    # A card's sources come with its start (shown while the text streams) and its end.
    for s in started:
        assert s.sources and s.sources == done[s.suggestion_id].sources
    order = next(s for s in started if s.topic == "order_status")
    assert order.sources[0]["name"] == "get_order_status" and "#78901" in order.sources[0]["fact"]
    summary = next(e for e in events if isinstance(e, CallSummary))
    assert summary.written_by == "rules" and "order" in summary.topics


async def test_negative_trend_raises_a_churn_alert(fixed_con):
    angry = ["This is terrible service.", "I am so angry and upset about this.",
             "Honestly this is the worst, awful experience."]
    events = await run(fixed_con, [final(t, turn=i + 1, at=i * 5) for i, t in enumerate(angry)])
    churn = [e for e in events if isinstance(e, SuggestionDone) and e.topic == "churn"]
    assert len(churn) == 1 and "negative" in churn[0].message
    trend = [e.trend for e in events if isinstance(e, Sentiment)]
    assert trend[-1] < -0.3


async def test_agent_card_numbers_and_callbacks_are_flagged(fixed_con):
    events = await run(fixed_con, [
        final("Your card number is 4111 1111 1111 1111, right?", leg="agent"),
        final("I'll call you back tomorrow.", leg="agent", turn=2, at=5)])
    messages = [e.message for e in events if isinstance(e, SuggestionDone)]
    assert any("full card number" in m for m in messages)
    assert any("logged as an action item" in m for m in messages)
    summary = next(e for e in events if isinstance(e, CallSummary))
    assert summary.action_items == ("Call the customer back tomorrow",)


async def test_open_questions_are_kept_with_the_summary(fixed_con):
    events = await run(fixed_con, [final("Can you waive the fee?"),
                                   final("Let me check.", leg="agent", turn=1, at=3),
                                   final("And can I change my plan?", turn=2, at=6)])
    summary = next(e for e in events if isinstance(e, CallSummary))
    assert summary.open_questions == ("And can I change my plan?",)


async def test_the_openai_engine_streams_through_the_stage(fixed_con):
    server = await FakeOpenAIServer().start()
    try:
        server.scenarios = [Scenario(chunks=content_chunks(
            '{"type": "suggestion", "priority": "high", "topic": "retention", "message": '
            '"Offer the retention discount now."}', size=4))]
        settings = Settings(token_delay_s=0, assistant_engine="openai",
                            openai_base_url=server.base_url, openai_api_key=server.token)
        events = await run(fixed_con, [final("I want to cancel and switch to a competitor.")],
                           settings)
    finally:
        await server.close()
    churn = [e for e in events if isinstance(e, SuggestionDone) and e.topic == "churn"]
    done = [e for e in churn if e.message == "Offer the retention discount now."]
    assert len(done) == 1 and done[0].sources == ()  # the model called no tool: nothing to cite
    # The rules engine's alert still shows; its own tips give way to the model's.
    assert len(churn) == 2
    tokens = [e for e in events if isinstance(e, SuggestionToken)
              and e.suggestion_id == done[0].suggestion_id]
    assert len(tokens) > 3


async def test_the_caller_is_identified_from_partials_before_the_turn_ends(fixed_con):
    def partial(text):
        return TranscriptPartial(call_id="c", leg="customer", text=text, start=0, end=2, turn=1)

    events = await run(fixed_con, [
        partial("Hello, this is John Doe, my account number is 1, 2, 3, 4, 5."),
        partial("Hello, this is John Doe, my account number is 1, 2, 3, 4, 5. I have a"),
        final("Hello, this is John Doe, my account number is 1, 2, 3, 4, 5. I have a "
              "question about my last bill.")])
    kinds = [type(e) for e in events]
    first_final = next(i for i, e in enumerate(events) if isinstance(e, Sentiment))
    context = kinds.index(CustomerContext)
    assert context < first_final  # shown while John was still talking
    assert events[context].customer["account_number"] == "12345"
    # The turn's first suggestion token came from a partial, before the final was handled,
    # and is marked early: "final → first token" counts only answers to the final.
    first_token = next(i for i, e in enumerate(events)
                       if isinstance(e, LatencyMark) and e.name == "early_token")
    assert first_token < first_final
    assert sum(isinstance(e, CustomerContext) for e in events) == 1  # not looked up twice


async def test_the_agents_feedback_and_flags_reach_the_summary(fixed_con):
    from callkit.events import MomentFlagged

    async def run_db(fn, *args):
        return fn(fixed_con, *args)

    bus, events = Bus(), []
    assistant = Assistant("c", Settings(token_delay_s=0), run_db, bus.publish)
    bus.subscribe(assistant.handle, TranscriptFinal, SuggestionFeedback, MomentFlagged,
                  CallEnded)
    bus.subscribe(events.append)
    bus.publish(final("Hi, my account number is 12345, why is my bill so high?"))
    await bus.drain()
    shown = [e for e in events if isinstance(e, SuggestionDone)]
    bus.publish(SuggestionFeedback(call_id="c", suggestion_id=shown[0].suggestion_id,
                                   action="used"))
    bus.publish(SuggestionFeedback(call_id="c", suggestion_id=shown[1].suggestion_id,
                                   action="dismissed"))
    bus.publish(MomentFlagged(call_id="c", at_s=95.0, note="promised a credit"))
    bus.publish(CallEnded(call_id="c"))
    await bus.drain()
    await bus.close()
    summary = next(e for e in events if isinstance(e, CallSummary))
    assert f"{len(shown)} suggestions shown, 1 used, 1 dismissed" in summary.text
    assert "Flagged moments: 1:35 (promised a credit)." in summary.text
