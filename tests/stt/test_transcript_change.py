"""`bench concurrency`'s "accuracy no worse than 1 call": a recording's copies played beside
other calls, scored against the same recording played alone."""

from callkit.bench.concurrency_bench import transcript_change_pct

ALONE = {"customer": "my order number is 78901", "agent": "thanks let me look that up"}


def test_the_same_words_are_no_change_whatever_the_case_and_punctuation():
    copy = {"customer": "My order number is 78901.", "agent": "Thanks, let me look that up."}
    assert transcript_change_pct(ALONE, [copy, copy]) == 0.0


def test_changed_words_count_over_every_leg_of_every_copy():
    same = dict(ALONE)
    lost_one = {"customer": "my order number is 8901", "agent": "thanks let me look that up"}
    # 11 words per copy, 22 in all; one substitution.
    assert transcript_change_pct(ALONE, [same, lost_one]) == round(100 / 22, 2)


def test_a_leg_that_heard_nothing_counts_every_word_lost():
    silent = {"customer": "", "agent": "thanks let me look that up"}
    assert transcript_change_pct(ALONE, [silent]) == round(100 * 5 / 11, 2)


def test_nothing_to_compare_is_no_figure():
    assert transcript_change_pct(ALONE, []) is None
    assert transcript_change_pct({"customer": "", "agent": ""}, [ALONE]) is None
