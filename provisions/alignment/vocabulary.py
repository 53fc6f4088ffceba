"""What a point talks about, in any of the three languages: concepts, numbers, topics.

A concept is a thing the plans name (NATO, Zaporizhzhia, the line of contact,
frozen assets, elections…), written as word beginnings in English, Ukrainian and
Russian. The same concept key comes out whatever the language, so a Ukrainian
point and an English one can be compared by what they name; figures ("800,000",
"800 000", "800 тисяч") are compared as numbers. A topic is found from the
concepts it is made of; a point naming none gets no topic (the editor sets it),
never a guessed default.
"""

from __future__ import annotations

import re
from collections import Counter

from ..choices import Topic
from .language import STOP_WORDS, words

# key: (topic or None, English, Ukrainian, Russian). Each language lists phrases separated by "|";
# a phrase is word beginnings separated by spaces (stop words skipped); "$" ends a whole word.
_CONCEPTS: dict[str, tuple[str | None, str, str, str]] = {
    "sovereignty": (Topic.SOVEREIGNTY, "sovereign", "суверен", "суверен"),
    "non_aggression": (
        Topic.SECURITY_GUARANTEES,
        "non aggress|nonaggress|not attack",
        "ненапад|не напада",
        "ненападен|не напада",
    ),
    "guarantee": (Topic.SECURITY_GUARANTEES, "guarant", "гаранті|гарант", "гаранти|гарант"),
    "article_5": (Topic.SECURITY_GUARANTEES, "articl 5$", "стат 5$", "стат 5$"),
    "armed_forces": (
        Topic.MILITARY_LIMITS,
        "armed forc|army|armi|troop|personnel|soldier|military strength",
        "збройн сил|зсу$|армі|військ|військовослуж|чисельн",
        "вооружен сил|всу$|арми|войск|военнослуж|численн",
    ),
    "nato": (Topic.NATO_ALLIANCES, "nato$|north atlant", "нато$|північноатлант", "нато$|североатлант"),
    "eu": (
        Topic.NATO_ALLIANCES,
        "european union|eu$",
        "європейськ союз|євросоюз|єс$",
        "европейск союз|евросоюз|ес$",
    ),
    "europe": (None, "europ", "європ", "европ"),
    "territory": (Topic.TERRITORY, "territor", "територ", "территор"),
    "crimea": (Topic.TERRITORY, "crimea", "крим", "крым"),
    "donbas": (Topic.TERRITORY, "donbas", "донбас", "донбас"),
    "donetsk": (Topic.TERRITORY, "donetsk", "донецьк|донеччин", "донецк"),
    "luhansk": (Topic.TERRITORY, "luhansk|lugansk", "луганськ|луганщин", "луганск"),
    "kherson": (Topic.TERRITORY, "kherson", "херсон", "херсон"),
    "zaporizhzhia": (Topic.TERRITORY, "zaporizh|zaporozh", "запоріж|запоріз", "запорож"),
    "kharkiv": (Topic.TERRITORY, "kharkiv|kharkov", "харків|харківщ", "харьков"),
    "mykolaiv": (Topic.TERRITORY, "mykolaiv|nikolaev", "миколаїв", "николаев"),
    "line_of_contact": (
        Topic.TERRITORY,
        "line contact|contact line|front line|line control",
        "лін зіткнен|лін розмежуван|лін фронт|лін контакт",
        "лин соприкосновен|лин разграничен|лин фронт|лин контакт",
    ),
    "demilitarized": (Topic.TERRITORY, "demilitar|buffer zone", "демілітар|буферн зон", "демилитар|буферн зон"),
    "economic_zone": (None, "econom zone|free zone", "економічн зон|вільн зон", "экономическ зон|свободн зон"),
    "withdraw": (Topic.TERRITORY, "withdraw", "відвед|вивед|вихід|відійд", "отвод|вывод|выход|отойд"),
    "recognition": (None, "recogni", "визна", "призна"),
    "sanctions": (Topic.SANCTIONS_ECONOMY, "sanction", "санкці", "санкци"),
    "economy": (
        Topic.SANCTIONS_ECONOMY,
        "econom|market|trade|business",
        "економ|ринк|ринок|торгів|бізнес",
        "эконом|рын|торгов|бизнес",
    ),
    "free_trade": (Topic.SANCTIONS_ECONOMY, "free trade", "вільн торгів", "свободн торговл"),
    "g8": (Topic.SANCTIONS_ECONOMY, "g8$|group eight", "g8$|велик вісімк", "g8$|больш восьм"),
    "frozen_assets": (Topic.FROZEN_ASSETS, "frozen|freez|asset", "заморож|актив", "заморож|актив"),
    "reconstruction": (
        Topic.RECONSTRUCTION,
        "reconstruct|rebuild|recover|restor|develop fund",
        "відбудов|відновлен|віднов",
        "восстановлен|восстанов|реконструкц",
    ),
    "investment": (Topic.RECONSTRUCTION, "invest", "інвест", "инвест"),
    "fund": (Topic.RECONSTRUCTION, "fund$|funds$", "фонд", "фонд"),
    "world_bank": (Topic.RECONSTRUCTION, "world bank", "світов банк", "всемирн банк"),
    "gas": (None, "gas$|pipeline", "газ$|газов|газопровід|трубопровід", "газ$|газов|газопровод|трубопровод"),
    "nuclear": (Topic.NUCLEAR, "nuclear|atomic", "ядерн|атомн|без'ядерн|безядерн", "ядерн|атомн|безъядерн"),
    "non_proliferation": (Topic.NUCLEAR, "prolifer|npt$", "нерозповсюдж|днят$", "нераспростран|днят$"),
    "arms_control": (Topic.NUCLEAR, "arms control|start$ treat", "контрол озброєн", "контрол вооружен"),
    "power_plant": (Topic.NUCLEAR, "power plant|power station|npp$", "електростанц|аес$", "электростанц|аэс$"),
    "iaea": (Topic.NUCLEAR, "iaea$|atomic energ agenc", "магате$", "магатэ$"),
    "electricity": (None, "electric", "електроенерг|електрик", "электроэнерг|электричеств"),
    "prisoners": (
        Topic.HUMANITARIAN,
        "prisoner|detainee|captiv|pow$|pows$",
        "полонен|вязн|затриман|бранц",
        "пленн|заключен|задержан",
    ),
    "exchange": (Topic.HUMANITARIAN, "exchang|swap", "обмін|обміня", "обмен|обменя"),
    "civilians": (Topic.HUMANITARIAN, "civilian", "цивільн", "гражданск|мирн жител"),
    "children": (Topic.HUMANITARIAN, "children|child$", "діт|дитин", "дети$|детей$|детск|ребен"),
    "families": (Topic.HUMANITARIAN, "famil|reunit", "родин|сім'|сімей|возз'єдн", "семь|семей|воссоедин"),
    "humanitarian": (Topic.HUMANITARIAN, "humanitar", "гуманітар", "гуманитар"),
    "demining": (Topic.HUMANITARIAN, "demin|landmin|mine clear|clear mine", "розмінув|мін$|мінн", "разминир|мин$|минн"),
    "bodies": (Topic.HUMANITARIAN, "bodi$|remain$", "тіл", "тел$|тела$"),
    "elections": (Topic.GOVERNANCE_ELECTIONS, "election|vote$|voting", "вибор|голосуван", "выбор|голосован"),
    "referendum": (Topic.GOVERNANCE_ELECTIONS, "referend", "референдум", "референдум"),
    "education": (
        Topic.LANGUAGE_CULTURE_RELIGION,
        "educat|school",
        "освіт|шкіл|школ|навчальн",
        "образовател|образован|школ|учебн",
    ),
    "tolerance": (
        Topic.LANGUAGE_CULTURE_RELIGION,
        "toleran|racism|prejudic|cultur",
        "толерант|расизм|упередж|культур",
        "толерант|расизм|предрассуд|предубежд|культур",
    ),
    "language": (Topic.LANGUAGE_CULTURE_RELIGION, "languag|linguist", "мов$|мова$|мови$|мовн", "язык"),
    "religion": (Topic.LANGUAGE_CULTURE_RELIGION, "religio|church", "релігі|церк", "религи|церк"),
    "minorities": (Topic.LANGUAGE_CULTURE_RELIGION, "minorit", "меншин", "меньшинств"),
    "amnesty": (Topic.AMNESTY_JUSTICE, "amnest", "амніст", "амнист"),
    "claims": (Topic.AMNESTY_JUSTICE, "claim|grievanc", "претенз|позов", "претенз|иск$|иски$"),
    "war_crimes": (
        Topic.AMNESTY_JUSTICE,
        "war crime|tribunal|accountab",
        "воєнн злочин|трибунал",
        "военн преступлен|трибунал",
    ),
    "monitoring": (
        Topic.IMPLEMENTATION_MONITORING,
        "monitor|supervis|oversee|overse|verif",
        "моніторинг|нагляд|контрол|спостереж",
        "мониторинг|надзор|контрол|наблюден",
    ),
    "implementation": (
        Topic.IMPLEMENTATION_MONITORING,
        "implement|complian|enforc",
        "виконанн|дотриманн|імплемент|виконува",
        "выполнен|соблюден|имплемент|исполнен",
    ),
    "binding": (
        Topic.IMPLEMENTATION_MONITORING,
        "legal bind|binding",
        "юридичн обов|обовязков",
        "юридическ обязат|обязательн",
    ),
    "peace_council": (
        Topic.IMPLEMENTATION_MONITORING,
        "peace council|board peace|council peace",
        "рад миру|рада миру",
        "совет мира",
    ),
    "sanction_breach": (None, "violat|breach", "порушен", "нарушен"),
    "ceasefire": (
        Topic.CEASEFIRE,
        "ceasefir|cease fire|truce|hostilit",
        "припинен вогню|перемир|бойов дій",
        "прекращен огня|перемири|боев действ",
    ),
    "invasion": (None, "invad|invasion|attack|aggress", "вторгн|напад|агрес", "вторжен|вторгн|напад|агресс"),
    "dnipro": (None, "dnieper|dnipro", "дніпр", "днепр"),
    "black_sea": (None, "black sea", "чорн мор", "черн мор"),
    "kinburn": (Topic.TERRITORY, "kinburn", "кінбурн", "кинбурн"),
    "grain": (None, "grain", "зерн", "зерн"),
    "poland": (None, "poland|polish", "польщ|польськ", "польш|польск"),
    "aircraft": (
        Topic.MILITARY_LIMITS,
        "fighter|jet$|jets$|aircraft",
        "винищувач|літак|авіаці",
        "истребител|самолет|авиаци",
    ),
    "united_states": (
        None,
        "united state|us$|usa$|america|washington",
        "сша$|америк|сполучен штат",
        "сша$|америк|соединен штат",
    ),
    "russia": (None, "russia", "росі|рф$", "росси|рф$"),
    "ukraine": (None, "ukrain", "україн", "украин"),
    "trump": (None, "trump", "трамп", "трамп"),
    "constitution": (None, "constitut", "конституц", "конституц"),
    "dialogue": (None, "dialogu", "діалог", "диалог"),
    "working_group": (None, "working group|joint group", "робоч груп|спільн груп", "рабоч групп|совместн групп"),
    "committee": (None, "committe", "комітет", "комитет"),
    "legislation": (None, "legislat|law$|laws$|statute", "законодав|закон", "законодат|закон"),
    "parliament": (
        None,
        "parliament|duma|rada$|ratif",
        "парламент|дум|ратиф|верховн рад",
        "парламент|дум|ратиф|верховн рад",
    ),
    "data_centers": (
        None,
        "data cent|artificial intellig",
        "центр обробк дан|дата центр|штучн інтелект",
        "дата центр|центр обработк дан|искусствен интеллект",
    ),
    "billion": (None, "billion", "мільярд|млрд$", "миллиард|млрд$"),
    "compensation": (None, "compensat", "компенсац|компенсу|відшкод", "компенсац|компенсир|возмещ"),
    "sign": (None, "sign$|signed|signing|signator", "підпис", "подпис"),
    "memorandum": (None, "memorand", "меморандум", "меморандум"),
}

_MULTIPLIERS = {
    "thousand": 1_000, "тисяч": 1_000, "тисячі": 1_000, "тис": 1_000, "тысяч": 1_000, "тысячи": 1_000, "тыс": 1_000,
    "million": 1_000_000, "мільйон": 1_000_000, "мільйонів": 1_000_000, "млн": 1_000_000, "миллион": 1_000_000,
    "миллионов": 1_000_000, "billion": 10**9, "мільярд": 10**9, "мільярдів": 10**9, "млрд": 10**9,
    "миллиард": 10**9, "миллиардов": 10**9,
}  # fmt: skip
# "800,000", "800 000", "800.000", "1.5": digits with thousands separators (a space, comma, dot or no-break space).
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ \u00a0\u202f,.]\d{3})+|\d+)(?:[.,](\d+))?(?:\s*([^\W\d_]+))?")
# Numbers below this are too common ("1", "5 years") to say two points are about the same thing.
MIN_NUMBER = 10


def _build_index() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key, (_, *languages) in _CONCEPTS.items():
        for phrases in languages:
            for phrase in phrases.split("|"):
                parts = tuple(part.replace("'", "") for part in phrase.split())
                index.setdefault(parts[0].rstrip("$"), []).append((parts, key))
    return index


_INDEX = _build_index()
_LONGEST = max(len(prefix) for prefix in _INDEX)
_ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())


def _part_matches(part: str, token: str) -> bool:
    return token == part[:-1] if part.endswith("$") else token.startswith(part)


def concepts(text: str) -> Counter[str]:
    """The concepts a text names, counted, whatever its language."""
    tokens = [token for token in words(text) if token not in _ALL_STOP_WORDS]
    found: Counter[str] = Counter()
    for position, token in enumerate(tokens):
        seen: set[str] = set()
        for length in range(min(len(token), _LONGEST), 1, -1):
            for parts, key in _INDEX.get(token[:length], ()):
                if key in seen or not _part_matches(parts[0], token):
                    continue
                following = tokens[position + 1 : position + len(parts)]
                if len(following) == len(parts) - 1 and all(map(_part_matches, parts[1:], following)):
                    found[key] += 1
                    seen.add(key)
    return found


def numbers(text: str) -> set[str]:
    """The figures a text gives (10 and over), as plain integers: "800,000" and "800 тисяч" -> "800000"."""
    found: set[str] = set()
    for match in _NUMBER.finditer(text or ""):
        digits, fraction, unit = match.groups()
        value = float(re.sub(r"\D", "", digits) + (f".{fraction}" if fraction else ""))
        value *= _MULTIPLIERS.get((unit or "").lower().rstrip("."), 1)
        if value >= MIN_NUMBER:
            found.add(str(int(value)))
    return found


TOPIC_OF = {key: topic for key, (topic, *_) in _CONCEPTS.items() if topic}
MAX_TOPICS = 3


def topics_from_concepts(found: Counter[str]) -> list[str]:
    """Up to three topics, most named first; none when no concept of a topic is named."""
    weights: Counter[str] = Counter()
    for key, count in found.items():
        if key in TOPIC_OF:
            weights[str(TOPIC_OF[key])] += count
    order = list(Topic.values)
    ranked = sorted(weights, key=lambda topic: (-weights[topic], order.index(topic)))
    return ranked[:MAX_TOPICS]


def guess_topics(text: str) -> list[str]:
    """The topics a point's text names, in English, Ukrainian or Russian ([] if none)."""
    return topics_from_concepts(concepts(text))
