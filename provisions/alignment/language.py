"""Which language a text is in, and its words reduced to stems, per language.

The parties publish in English, Ukrainian and Russian. The language is told by
its letters (fast, and right for the texts we see): Cyrillic with і, ї, є or ґ
is Ukrainian, Cyrillic with ы, э, ё or ъ is Russian, Latin letters are English.

Stems come from Snowball (PyStemmer) for English and Russian. Snowball has no
Ukrainian stemmer, so Ukrainian words are reduced to their dictionary form with
pymorphy3's Ukrainian dictionary (a maintained lemmatizer): "територіями" and
"території" both become "територія".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer

ENGLISH, UKRAINIAN, RUSSIAN, UNKNOWN = "en", "uk", "ru", ""
LANGUAGE_NAMES = {ENGLISH: "English", UKRAINIAN: "Ukrainian", RUSSIAN: "Russian", UNKNOWN: "unknown"}

# Words of a letter or more; apostrophes inside a Ukrainian word (об'єкт, м’яч) are dropped.
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'’ʼ")
_LATIN = re.compile(r"[a-z]")
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]")
_RUSSIAN_ONLY = re.compile(r"[ыэёъ]")

_STOP_WORDS = {
    ENGLISH: (
        "a an the of and or to in on at by for with from as is are was were be been being will would shall should "
        "can could may might must that this these those it its their there which who whom whose all any both each "
        "other such than then into under over after before between within without not no nor also up down out its "
        "his her they them we our us he she if so do does did has have had per via upon about against among"
    ),
    UKRAINIAN: (
        "і й та а але або чи що як у в на до з із зі від для по про при за між під над через без це цей ця ці той "
        "та те ті які який яка яке якій якого яких свій своїх свою своє його її їх їхній він вона воно вони ми ви "
        "не ні так також вже ще буде будуть бути є був була було були має мають може можуть щодо всі усі всіх "
        "усіх кожна кожен кожне якщо коли де аби щоб бо тому тоді разом після перед"
    ),
    RUSSIAN: (
        "и й а но или ли что как у в во на до с со от для по про при за между под над через без это этот эта эти "
        "тот та то те которые который которая которое которой которого которых свой своих свою своё его её их он "
        "она оно они мы вы не ни так также уже ещё еще будет будут быть есть был была было были имеет имеют может "
        "могут всё все всех каждая каждый каждое если когда где чтобы потому тогда вместе после перед"
    ),
}
STOP_WORDS = {language: frozenset(words.split()) for language, words in _STOP_WORDS.items()}
STOP_WORDS[UNKNOWN] = frozenset()


def words(text: str) -> list[str]:
    """The words of a text, lower-cased, apostrophes removed (numbers are words too)."""
    return [word.translate(_APOSTROPHES) for word in _WORD.findall((text or "").lower())]


def detect_language(text: str) -> str:
    """ "en", "uk" or "ru" from the letters used; "" when the text has no letters."""
    lowered = (text or "").lower()
    cyrillic = len(_CYRILLIC.findall(lowered))
    latin = len(_LATIN.findall(lowered))
    if not cyrillic and not latin:
        return UNKNOWN
    if latin > cyrillic:
        return ENGLISH
    ukrainian, russian = len(_UKRAINIAN_ONLY.findall(lowered)), len(_RUSSIAN_ONLY.findall(lowered))
    # "и" is common in Russian and rarer in Ukrainian (where it sounds like Russian ы).
    return UKRAINIAN if ukrainian > russian else RUSSIAN


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Callable[[str], str]:
    if language == UKRAINIAN:
        return _ukrainian_lemmatizer()
    if language in (ENGLISH, RUSSIAN):
        stemmer = Stemmer.Stemmer("english" if language == ENGLISH else "russian")
        return lru_cache(maxsize=200_000)(stemmer.stemWord)
    return lambda word: word


def _ukrainian_lemmatizer() -> Callable[[str], str]:
    import pymorphy3

    analyzer = pymorphy3.MorphAnalyzer(lang="uk")

    @lru_cache(maxsize=200_000)
    def lemma(word: str) -> str:
        if word.isdigit():
            return word
        return analyzer.parse(word)[0].normal_form

    return lemma


def stems(tokens: list[str], language: str) -> list[str]:
    """The tokens that carry meaning (stop words and one-letter words left out), stemmed."""
    stop, stem = STOP_WORDS.get(language, frozenset()), _stemmer(language)
    return [stem(token) for token in tokens if token not in stop and (len(token) > 1 or token.isdigit())]
