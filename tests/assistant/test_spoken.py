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
