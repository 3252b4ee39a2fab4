from callkit.events import Word
from callkit.stt.guards import clean_words, join_words, segment_is_hallucinated


def words(*spec):
    return tuple(Word(text, start, start + 0.2, prob) for text, start, prob in spec)


def test_an_unsure_closing_phrase_is_dropped():
    heard = words(("your", 9.9, 0.99), ("country.", 10.2, 0.99), ("Thank", 10.4, 0.05),
                  ("you.", 10.6, 0.98))
    assert [w.text for w in clean_words(heard)] == ["your", "country."]


def test_a_confident_thank_you_is_kept():
    heard = words(("Okay,", 0.0, 0.9), ("thank", 0.3, 0.95), ("you.", 0.5, 0.97))
    assert clean_words(heard) == heard


def test_words_after_the_speaker_stopped_are_dropped():
    heard = words(("was.", 5.4, 0.99), ("We'll", 5.9, 0.6), ("see", 6.1, 0.9), ("you", 6.3, 0.9))
    assert [w.text for w in clean_words(heard, speech_end=5.6)] == ["was."]


def test_sound_annotations_are_not_words():
    heard = words(("was.", 5.4, 0.99), ("MUSIC", 5.7, 0.5), ("[applause]", 5.9, 0.5),
                  ("♪", 6.0, 0.4))
    assert [w.text for w in clean_words(heard)] == ["was."]


def test_segment_level_failure_modes():
    assert segment_is_hallucinated(3.1, 0.1, -0.3)        # repetition loop
    assert segment_is_hallucinated(1.2, 0.8, -1.2)        # text out of silence
    assert segment_is_hallucinated(1.2, 0.1, -1.8)        # very unsure
    assert not segment_is_hallucinated(1.4, 0.8, -0.4)    # quiet but clearly decoded
    assert not segment_is_hallucinated(1.6, 0.05, -0.3)


def test_join_keeps_attached_pieces_attached():
    heard = words(("an", 0, 1), ("ill", 0.2, 1), ("-disposed", 0.4, 1), ("man", 0.6, 1),
                  (",", 0.7, 1), ("it's", 0.8, 1))
    assert join_words(heard) == "an ill-disposed man, it's"


def test_prompt_echoes_and_near_zero_confidence_are_caught():
    from callkit.stt.guards import echoes_prompt, too_unsure

    prompt = "A customer calls support about an order number, an account number or a bill."
    assert echoes_prompt("A customer calls support about an order number.", prompt)
    assert not echoes_prompt("I need help with my order number.", prompt)
    assert not echoes_prompt("Hello.", prompt)
    assert too_unsure(words(("A", 0, 0.004), ("customer", 0.2, 0.01)))
    assert not too_unsure(words(("Hi", 0, 0.6), ("there", 0.2, 0.3)))


def test_closing_phrase_variants():
    heard = words(("himself.", 2.0, 0.99), ("Thank", 2.6, 0.02), ("you", 2.8, 0.9),
                  ("so", 2.9, 0.9), ("much", 3.0, 0.9))
    assert [w.text for w in clean_words(heard)] == ["himself."]
