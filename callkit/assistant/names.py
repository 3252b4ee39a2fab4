"""People's names in what a caller says, with the customer table as the gazetteer.

Capitalised words are no evidence on a call: speech recognition capitalises "Monday Morning"
and lower-cases "anna kowalczyk". So every run of two or three words is a candidate, and a
candidate counts only if it matches a customer's name closely (tools.lookup_customer,
search_type "spoken"). A candidate a cue introduces ("my name is", "this is", "calling for")
may match a little less closely (a misheard letter); one without a cue must match almost
exactly. Spelled-out letters ("K O W A L C Z Y K") are joined into the word they spell, and
may stand next to any other word said in the turn (the first name said before the spelling).
Words that are never part of a name here (weekdays, most months, street words) end a
candidate; words that are also surnames (Hill, Park, West, May) are not among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .spoken import SPELLED

PREFILTER = 0.85    # Jaro-Winkler similarity for a customer name to be scored at all
CUED_SCORE = 0.85   # edit similarity of a cue-introduced candidate to a customer name
BARE_SCORE = 0.93   # ...of a candidate said with no cue
SOUNDS_ALIKE = 0.96  # the score of a name that sounds the same (identity.py: ambiguous)
CUES = re.compile(r"\b(?:i'm|i am|my name is|my name's|name is|name's|this is|it's|it is|"
                  r"calling for|speaking with|account holder is|under|the name)\s+$")
NEVER_IN_NAMES = frozenset("""
monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night today
tomorrow yesterday january february march july september october november december street st
road rd avenue ave lane drive boulevard heights valley court the a an and or but of to in on
at for from with my your our their his her it is was be am are i you we they he she me him us
them this that there here what who yes no not okay ok hi hello hey thanks thank please sorry um
uh yeah so just calling about order account number email phone card bill refund return package
how can could would should will do does did have has had get got help need want like know see
call called go going come new last first name names spell spelled sure right well very much
""".split())
_CONTRACTION = re.compile(r"'(?:s|m|re|ll|ve|d|t)$")
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class Candidate:
    words: str
    cued: bool
    surname: bool = False  # "mrs thibodeaux": only a surname, matched against last names


TITLES = re.compile(r"\b(?:mr|mrs|ms|miss|mister|missus|dr)\.?\s+([a-z][a-z'-]+)")


def _words_with_cues(text: str) -> list[tuple[str, bool]]:
    """Words of ``text`` in order, each with whether a cue ends right before it."""
    out = []
    for match in _WORD.finditer(text):
        before = text[max(0, match.start() - 24):match.start()]
        out.append((match.group(0), bool(CUES.search(before))))
    return out


def candidates(text: str) -> list[Candidate]:
    lower = text.lower()
    spelled = [re.sub(r"[^a-z]", "", m.group(0)) for m in SPELLED.finditer(lower)]
    lower = SPELLED.sub(" ", lower)
    words = _words_with_cues(lower)
    found: dict[str, bool] = {}
    for i, (word, cued) in enumerate(words):
        for size in (2, 3):
            run = words[i:i + size]
            if len(run) < size or any(w in NEVER_IN_NAMES or _CONTRACTION.search(w)
                                      for w, _ in run):
                continue
            span = " ".join(w for w, _ in run)
            found[span] = found.get(span, False) or cued
    for spelling in spelled:
        for word, _ in words:
            if word not in NEVER_IN_NAMES and word != spelling:
                found.setdefault(f"{word} {spelling}", True)
    surnames = {m.group(1) for m in TITLES.finditer(lower)} - NEVER_IN_NAMES
    return ([Candidate(span, cued) for span, cued in found.items()]
            + [Candidate(name, True, surname=True) for name in sorted(surnames)])
