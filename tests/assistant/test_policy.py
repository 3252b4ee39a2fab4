from callkit.assistant.policy import SuggestionPolicy
from callkit.config import Settings


def policy(**kw):
    return SuggestionPolicy(Settings(**kw))


def offer(p, text, *, key="billing", kind="suggestion", priority="normal", at=0.0,
          confidence=0.9, sid=None):
    d = p.decide(kind=kind, priority=priority, key=key, text=text, confidence=confidence, at=at)
    if d.accepted:
        p.shown(sid or f"s{at}", kind=kind, key=key, text=text, at=at + d.wait_s)
    return d


def test_confidence_gate():
    p = policy(suggestion_min_confidence=0.5)
    assert not offer(p, "maybe", confidence=0.3).accepted
    assert offer(p, "surely", confidence=0.8).accepted


def test_near_identical_suggestions_are_dropped():
    p = policy()
    assert offer(p, "John was billed $129.99 on Nov 15", key="a").accepted
    d = offer(p, "John was billed $129.99 on Nov 15.", key="b", at=100)
    assert not d.accepted and d.reason == "duplicate"


def test_topic_cooldown():
    p = policy(suggestion_cooldown_s=30)
    assert offer(p, "Explain the overage charge", at=0).accepted
    assert offer(p, "Offer an overage credit", at=10).reason == "topic cooldown"
    assert offer(p, "Offer an overage credit", at=31).accepted


def test_debounce_spaces_tips_but_not_alerts():
    p = policy(suggestion_min_gap_s=2.0)
    assert offer(p, "first tip", key="a", at=10).wait_s == 0
    assert offer(p, "second tip about shipping", key="b", at=10.5).wait_s == 1.5
    assert offer(p, "gold customer", key="tier", kind="alert", at=10.6).wait_s == 0


def test_cap_per_minute_spares_urgent_alerts():
    p = policy(suggestions_per_minute=2, suggestion_min_gap_s=0)
    assert offer(p, "one thing", key="a", at=0).accepted
    assert offer(p, "another thing entirely", key="b", at=1).accepted
    assert offer(p, "a third unrelated idea", key="c", at=2).reason == "rate cap"
    assert offer(p, "customer is about to cancel", key="churn", kind="alert",
                 priority="high", at=3).accepted
    assert offer(p, "a fourth fresh idea", key="d", at=61).accepted


def test_dismissed_suggestions_suppress_similar_ones():
    p = policy(suggestion_cooldown_s=0)
    offer(p, "Offer the 20% retention discount for three months", key="churn", sid="x")
    p.feedback("x", "dismissed")
    assert offer(p, "Offer a retention discount of 20% now", key="other", at=100).reason == \
        "dismissed before"
    assert offer(p, "Anything on churn", key="churn", at=200).reason == "dismissed before"
    assert offer(p, "Check the tracking number with FedEx", key="order", at=300).accepted


def test_used_feedback_changes_nothing():
    p = policy(suggestion_cooldown_s=0, suggestion_similarity=99)
    offer(p, "Offer escalation", key="esc", sid="y")
    p.feedback("y", "used")
    assert offer(p, "Transfer to the billing team", key="esc", at=50).accepted


def test_a_streamed_tip_is_judged_on_its_opening_words():
    p = policy(suggestion_cooldown_s=0, suggestion_min_gap_s=0)
    offer(p, "Apologise for the delay, then check the order status and give Sarah the new "
             "delivery date.", key="a")

    def opening(text, at):
        return p.decide(kind="suggestion", priority="normal", key="b", text=text,
                        confidence=0.9, at=at, opening=True)

    # The same opening is the same tip, whatever follows it.
    assert opening("Apologise for the delay, then check", 10).reason == "duplicate"
    assert opening("apologise for the delay then check", 10).reason == "duplicate"
    # A few words that all occur somewhere in a shown tip do not make a duplicate (compared
    # with the whole text, any subset of its words would).
    assert p.decide(kind="suggestion", priority="normal", key="b", confidence=0.9, at=10,
                    text="give Sarah the new delivery date").reason == "duplicate"
    assert opening("give Sarah the new delivery date", 10).accepted


def test_a_models_own_urgency_exempts_it_from_nothing():
    p = policy(suggestions_per_minute=1, suggestion_min_gap_s=2.0)
    assert offer(p, "one thing", key="a", at=0).accepted

    def model(text, at, kind="suggestion", key="model:b"):
        return p.decide(kind=kind, priority="high", key=key, text=text, confidence=0.9,
                        at=at, model=True)

    assert model("a model's urgent idea", 1).reason == "rate cap"
    assert model("a model's urgent alert", 1, kind="alert").reason == "rate cap"
    assert model("a model's urgent idea", 61).wait_s == 0
    p.shown("m", kind="suggestion", key="model:b", text="a model's urgent idea", at=61)
    assert model("another model idea entirely", 62, key="model:c").reason == "rate cap"
    p = policy(suggestion_min_gap_s=2.0)
    offer(p, "one thing", key="a", at=0)
    assert model("a model's urgent idea", 1).wait_s == 1.0  # debounced like any tip
