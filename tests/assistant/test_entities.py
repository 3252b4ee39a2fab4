from callkit.assistant.entities import find_mentions


def test_order_from_the_demo_sentence():
    m = find_mentions("Hi, I'm Sarah Johnson and I need help with order 7, 8, 9, 0, 1.")
    assert m.orders == ("78901",)


def test_account_numbers_even_when_misheard_as_count():
    assert find_mentions("My account number is one two three four five.").accounts == ("12345",)
    assert find_mentions("My count number is 1, 2, 3, 4, 5.").accounts == ("12345",)


def test_a_number_without_context_is_bare():
    assert find_mentions("It's 55102.").bare_numbers == ("55102",)


def test_phone_and_email():
    m = find_mentions("Call me at four one five five five five zero one four two, or "
                      "sarah dot johnson at example dot com")
    assert m.phones == ("4155550142",)
    assert m.emails == ("sarah.johnson@example.com",)


def test_topics_and_frustration():
    m = find_mentions("Why is my bill so high? I'm really frustrated, I want a refund.")
    assert m.topics == {"billing", "refund"}
    assert m.frustrated


def test_agent_commitments():
    m = find_mentions("Sure. I'll call you back tomorrow about a credit. We will waive the fee.")
    assert m.commitments == ("call you back tomorrow about a credit", "waive the fee")
    two = find_mentions("I'll add a data usage alert to your account and I'll call you back "
                        "tomorrow about a credit.")
    assert two.commitments == ("add a data usage alert to your account",
                               "call you back tomorrow about a credit")
