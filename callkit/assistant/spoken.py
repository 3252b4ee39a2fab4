"""Spoken forms → written forms, for matching entities (the transcript keeps the verbatim text).

Whisper writes what it hears: "order seven eight nine oh one", "7-8-9-0-1", "78 9 01",
"sarah dot johnson at example dot com". Lookups need "78901" and "sarah.johnson@example.com".
text2num's ``alpha2digit`` reads whole numbers ("twelve thousand three hundred forty five") and
is used for those; it does not read digit-by-digit speech ("oh" for zero, "double seven",
groups split by spaces), which is how people read out order, account and phone numbers, so
that part is written here.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
         "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
ZERO_LETTERS = {"oh", "o"}
REPEAT = {"double": 2, "triple": 3}

# Three or more single letters (or digits) in a row, spelled out: "k o w a l", "s-a-r-a-h".
SPELLED = re.compile(r"(?<![\w'])(?:[a-z0-9][ .,-]+){2,}[a-z0-9]\b")
_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
_NUMBER_WORD = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|"
                r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)")
_CARDINAL = re.compile(rf"\b{_NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{_NUMBER_WORD})*\b", re.I)


def _whole_numbers(text: str) -> str:
    """ "twelve thousand three hundred forty five" → "12345"; digit-by-digit runs are left
    to the reader below ("seven eight nine" is three digits, not 7 + 8 + 9)."""
    def read(match: re.Match) -> str:
        words = match.group(0)
        if not re.search(r"hundred|thousand", words, re.I):
            return words
        return alpha2digit(words, "en")
    return _CARDINAL.sub(read, text)


def digits_of(text: str) -> str:
    """All digits of the longest spoken or written digit run in ``text`` ("" if none)."""
    runs = [run for run, _, _ in _digit_runs(_TOKEN.findall(_whole_numbers(text)))]
    return max(runs, key=len, default="")


def normalize_numbers(text: str, min_digits: int = 3) -> str:
    """Replace each spoken digit run of at least ``min_digits`` digits by its numerals."""
    text = _whole_numbers(text)
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    out: list[str] = []
    pos = 0
    for run, start, end in _digit_runs(tokens):
        if len(run) < min_digits:
            continue
        out.append(text[pos:matches[start].start()])
        out.append(run)
        pos = matches[end - 1].end()
    out.append(text[pos:])
    return "".join(out)


def normalize_email(text: str) -> str | None:
    """The first e-mail address in ``text``, written or spoken ("x dot y at z dot com")."""
    written = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    if written:
        return written.group(0).lower().rstrip(".")
    # Letters spelled out one by one ("s a r a h", "j-o-h-n") are one word of the address.
    lower = re.sub(r"\b(?:all )?one word\b", " ", text.lower())
    lower = SPELLED.sub(lambda m: re.sub(r"[^a-z0-9]", "", m.group(0)), lower)
    # Digits said as words belong to the word before them ("nguyen eighty eight").
    lower = normalize_numbers(lower, min_digits=1)
    return _spoken_email(re.findall(r"[a-z0-9']+|[,.;:!?]", lower))


# Words that end the local part when reading back from "at": what people say before an
# address ("my email is", "yeah it's", "no wait, try").
_BEFORE_ADDRESS = frozenset("""is it's its email e-mail mail address yeah yes sure try wait no sorry
um uh okay ok my the that's thats it was one or and to me send use write reach at on under""".split())
_SEPARATORS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
_PUNCT = frozenset(",.;:!?")


def _spoken_email(words: list[str]) -> str | None:
    """ "percy dot nakagawa at tide well dot com" → percy.nakagawa@tidewell.com. Recognizers
    split names into words ("tide well", "rose hill garden"), so the words between separators
    are joined; the local part reads back from "at" to what people say before an address."""
    for i, word in enumerate(words):
        if word != "at":
            continue
        domain, j = [[]], i + 1
        while j < len(words) and words[j] not in _PUNCT and len(domain[-1]) < 4:
            if words[j] == "dot":
                domain.append([])
            else:
                domain[-1].append(words[j])
            j += 1
            if len(domain) > 1 and domain[-1] and (j >= len(words) or words[j] != "dot") \
                    and len(words[j - 1]) > 1:
                break  # a top-level domain said as a word ends the address ("com")
        domain = [part for part in domain if part]
        local, k = [[]], i - 1
        while k >= 0 and words[k] not in _PUNCT and words[k] not in _BEFORE_ADDRESS:
            if words[k] in _SEPARATORS:
                local.insert(0, [words[k]])
                local.insert(0, [])
            elif not local[0] or local[0][0] != words[k]:  # "solveig s o l v e i g": once
                local[0].insert(0, words[k])
            k -= 1
        local = [part for part in local if part]
        if len(domain) < 2 or not local or len(sum(local, [])) > 8:
            continue
        head = "".join(_SEPARATORS.get(p[0], "".join(p)) if len(p) == 1 else "".join(p)
                       for p in local)
        return f"{head}@{'.'.join(''.join(part) for part in domain)}"
    return None


def _digit_runs(tokens: list[str]):
    """Yield (digits, start, end) for each maximal run of number tokens."""
    i = 0
    n = len(tokens)
    while i < n:
        digits, j = _read_run(tokens, i)
        if digits:
            yield digits, i, j
            i = j
        else:
            i += 1


def _read_run(tokens: list[str], i: int) -> tuple[str, int]:
    digits = ""
    j = i
    n = len(tokens)
    while j < n:
        word = tokens[j].lower()
        nxt = tokens[j + 1].lower() if j + 1 < n else ""
        if word.isdigit():
            digits += word
            j += 1
        elif word in UNITS:
            digits += str(UNITS[word])
            j += 1
        elif word in ZERO_LETTERS and (digits or _starts_number(nxt)):
            digits += "0"
            j += 1
        elif word in TEENS:
            digits += str(TEENS[word])
            j += 1
        elif word in TENS:
            if nxt in UNITS and nxt != "zero":
                digits += str(TENS[word] + UNITS[nxt])
                j += 2
            else:
                digits += str(TENS[word])
                j += 1
        elif word in REPEAT and nxt in UNITS:
            digits += str(UNITS[nxt]) * REPEAT[word]
            j += 2
        elif word in REPEAT and nxt in ZERO_LETTERS:
            digits += "0" * REPEAT[word]
            j += 2
        # Punctuation inside a digit run: "7-8-9-0-1", "78,901", "#78901".
        elif word == "-" and digits and (_starts_number(nxt) or nxt in ZERO_LETTERS):
            j += 1
        elif word == "," and digits and (_starts_number(nxt) or nxt in ZERO_LETTERS):
            j += 1  # digits read out one by one: "seven, eight, nine"
        elif word == "#" and not digits and _starts_number(nxt):
            j += 1
        else:
            break
    return digits, j


def _starts_number(word: str) -> bool:
    return (word.isdigit() or word in UNITS or word in TEENS or word in TENS
            or word in REPEAT)
