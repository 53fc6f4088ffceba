"""The search syntax every text search takes, read once: PostgreSQL's `websearch_to_tsquery`.

- words: every one must appear (`security guarantees`);
- `"quoted words"`: those words next to each other, in that order (a phrase);
- `or` between two terms: either will do (`ceasefire or armistice`);
- `-word` or `-"a phrase"`: must not appear.

PostgreSQL reads the text itself (`SearchQuery(search_type="websearch")`); SQLite and
lists held in memory read the `TextQuery` parsed here, so the three agree. Nothing a user
types is an error: stray quotes, a lone `-` or `or`, punctuation are read as PostgreSQL
reads them, and a query with no word in it matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import Stemmer

_WORD = re.compile(r"[^\W_]+")  # letters and digits: how SQLite's unicode61 and PostgreSQL split words


# PostgreSQL's `english` stop words (share/tsearch_data/english.stop): never searched for alone.
_STOP_WORDS_TEXT = """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing a an the and but if or
because as until while of at by for with about against between into through during before after above
below to from up down in out on off over under again further then once here there when where why how
all any both each few more most other some such no nor not only own same so than too very s t can will
just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of several; `excluded`: it must not appear."""

    words: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class TextQuery:
    """One of the alternatives (split by `or`) must hold; an alternative holds when every one
    of its terms does. (`a b or c` is `(a and b) or c`, as in PostgreSQL.)"""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def terms(self) -> list[Term]:
        return [term for alternative in self.alternatives for term in alternative]

    def matches(self, texts: Iterable[str], *, stemmed: bool = True) -> bool:
        """Whether these texts (a record's fields) pass: a term appears when its words follow
        one another in one of the texts, compared stemmed (as full-text search does) or, with
        `stemmed=False`, as parts of words (as a substring search does)."""
        fields = [words_of(text, stemmed=stemmed) for text in texts]
        return any(all(_holds(term, fields, stemmed) for term in terms) for terms in self.alternatives)


def _holds(term: Term, fields: list[list[str]], stemmed: bool) -> bool:
    wanted = [_stem(word) for word in term.words] if stemmed else list(term.words)
    found = any(_contains(field, wanted, exact=stemmed) for field in fields)
    return found != term.excluded


def _contains(words: list[str], wanted: list[str], *, exact: bool) -> bool:
    size = len(wanted)
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        if exact and window == wanted:
            return True
        if not exact and _loosely(window, wanted):
            return True
    return False


def _loosely(window: list[str], wanted: list[str]) -> bool:
    """Substring rules for a phrase: the first word ends with, the last starts with, the middle
    ones are, the wanted words (a single word: is part of the word)."""
    if len(wanted) == 1:
        return wanted[0] in window[0]
    inner_ok = window[1:-1] == wanted[1:-1]
    return window[0].endswith(wanted[0]) and window[-1].startswith(wanted[-1]) and inner_ok


def words_of(text: str, *, stemmed: bool = False) -> list[str]:
    """The words of `text`, lower-cased, accents removed (`remove_diacritics` in SQLite)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    words = _WORD.findall(plain)
    return [_stem(word) for word in words] if stemmed else words


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def parse(text: str) -> TextQuery:
    """The query `text` states, read as `websearch_to_tsquery` reads it."""
    alternatives: list[list[Term]] = [[]]
    for raw, quoted, excluded in _pieces(text):
        if not quoted and not excluded and raw.lower() == "or":
            if alternatives[-1]:  # `or` with nothing before it is ignored
                alternatives.append([])
            continue
        words = tuple(words_of(raw))
        # PostgreSQL drops common English words (`the`, `of`) from a query; so does this.
        if words and not (len(words) == 1 and words[0] in STOP_WORDS):
            alternatives[-1].append(Term(words, excluded))
    return TextQuery(tuple(tuple(terms) for terms in alternatives if terms))


def _pieces(text: str) -> Iterable[tuple[str, bool, bool]]:
    """(text, quoted, excluded) for each word or quoted phrase, in order. A `-` before a word
    or phrase, or standing alone before one, excludes it."""
    position, size = 0, len(text)
    excluded = False
    while position < size:
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char == "-":
            excluded = True
            position += 1
            continue
        if char == '"':
            end = text.find('"', position + 1)
            end = size if end == -1 else end
            yield text[position + 1 : end], True, excluded
            position = end + 1
        else:
            end = position
            while end < size and not text[end].isspace() and text[end] != '"':
                end += 1
            yield text[position:end], False, excluded
            position = end
        excluded = False


def fts5_phrase(term: Term) -> str:
    """An FTS5 MATCH string for one term: its words as one quoted phrase, so no word a user
    types (AND, NEAR, a stray `*` or `:`) is read as FTS5 syntax."""
    return '"' + " ".join(word.replace('"', '""') for word in term.words) + '"'
