import pytest

from callkit.assistant.spoken import digits_of, normalize_email, normalize_numbers


@pytest.mark.parametrize("spoken, digits", [
    ("order seven eight nine oh one", "78901"),
    ("order seven, eight, nine, oh, one", "78901"),
    ("order #78901", "78901"),
    ("7-8-9-0-1", "78901"),
    ("78 9 01", "78901"),
    ("seventy eight nine oh one", "78901"),
    ("double seven eight nine", "7789"),
    ("1, 2, 3, 4, 5", "12345"),
    ("four one five, five five five, zero one four two", "4155550142"),
    ("no numbers here", ""),
])
def test_digits_of_spoken_and_written_forms(spoken, digits):
    assert digits_of(spoken) == digits


def test_normalize_keeps_the_rest_of_the_sentence_verbatim():
    text = "Hi, I'm Sarah Johnson, I need help with order seven eight nine oh one."
    assert normalize_numbers(text) == "Hi, I'm Sarah Johnson, I need help with order 78901."


def test_short_runs_and_oh_as_a_word_are_left_alone():
    assert normalize_numbers("oh, I called two, three times") == "oh, I called two, three times"


@pytest.mark.parametrize("text, email", [
    ("it's sarah dot johnson at example dot com thanks", "sarah.johnson@example.com"),
    ("Email: John.Doe@Example.com.", "john.doe@example.com"),
    ("j underscore doe at mail dot co dot uk", "j_doe@mail.co.uk"),
    ("I'm at home", None),
])
def test_emails_written_or_spoken(text, email):
    assert normalize_email(text) == email


def test_spoken_addresses_as_recognizers_write_them():
    from callkit.assistant.spoken import normalize_email
    cases = {
        "yeah percy dot nakagawa at tide well dot com": "percy.nakagawa@tidewell.com",
        "it's rose hill garden all one word at blue jay mail dot com":
            "rosehillgarden@bluejaymail.com",
        "no sorry it's o d a l y s dot f q at sun post dot i o": "odalys.fq@sunpost.io",
        "sure solveig s o l v e i g dot m at fern light dot org": "solveig.m@fernlight.org",
        "my email is d underscore nguyen eighty eight at gmail dot com": "d_nguyen88@gmail.com",
        "jane dash doe at mail dot co dot uk please": "jane-doe@mail.co.uk",
    }
    for said, address in cases.items():
        assert normalize_email(said) == address, said
    assert normalize_email("I'll be at home at noon") is None
