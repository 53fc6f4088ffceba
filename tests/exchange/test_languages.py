"""Texts in Ukrainian and Russian: numbering, language, topics, links; and input that is not a draft."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from provisions.alignment import detect_language, guess_topics
from provisions.alignment.vocabulary import concepts, numbers
from provisions.importing import import_text, parse_draft
from provisions.models import Lineage, Provision
from tests.exchange.conftest import fixture_text
from tests.factories import PlanFactory


def numbers_of(text):
    return [point.number for point in parse_draft(text).points]


@pytest.mark.parametrize(
    "text",
    [
        "Пункт 1. Суверенітет України буде підтверджено.\nПункт 2. Угода про ненапад.",
        "Пункт 1: Суверенитет Украины.\nПункт 2: Соглашение о ненападении.",
        "1) Суверенітет.\n2) Ненапад.",
        "1. Суверенитет.\n2. Ненападение.",
        "**Пункт 1.** Суверенітет.\n**Пункт 2.** Ненапад.",
    ],
)
def test_cyrillic_numbering_forms_are_points(text):
    assert numbers_of(text) == ["1", "2"]


def test_cyrillic_sub_points_number_under_their_point():
    text = "5. Гарантії безпеки:\nа) військова відповідь;\nб) санкції.\n6. Далі."
    assert numbers_of(text) == ["5", "5a", "5b", "6"]


def test_a_cyrillic_label_gives_the_title():
    [point] = parse_draft("1. Суверенітет: Україна є суверенною державою.").points
    assert point.title == "Суверенітет"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ukraine will receive security guarantees.", "en"),
        ("Україна отримає гарантії безпеки, її армія — 800 тисяч.", "uk"),
        ("Украина получит гарантии безопасности, её армия — 800 тысяч.", "ru"),
        ("12345 ...", ""),
    ],
)
def test_the_language_is_told_by_its_letters(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "The Zaporizhzhia nuclear power plant will be restarted under IAEA supervision.",
        "Запорізька атомна електростанція буде запущена під наглядом МАГАТЕ.",
        "Запорожская атомная электростанция будет запущена под надзором МАГАТЭ.",
    ],
)
def test_topics_are_found_in_all_three_languages(text):
    assert guess_topics(text)[0] == "nuclear"
    assert "zaporizhzhia" in concepts(text) and "iaea" in concepts(text)


def test_a_text_naming_no_topic_gets_none():
    assert guess_topics("Пункт про погоду.") == [] == guess_topics("Something else entirely.")


def test_figures_compare_across_languages():
    assert numbers("800,000 personnel") == numbers("800 000 осіб") == numbers("800 тысяч человек") == {"800000"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1. One.\x00\n2. Two.", "NUL byte"),
        ("1. One.\x01\x02\n2. Two.", "control character (U+0001, line 1)"),
        ("   \n\n", "The text is empty."),
        ("Текст без пунктів.", "No numbered points found"),
    ],
)
def test_binary_empty_and_pointless_texts_are_refused_in_one_line(text, message):
    with pytest.raises(ValidationError, match=re.escape(message)) as caught:
        parse_draft(text)
    assert len(caught.value.messages) == 1 and "\n" not in caught.value.messages[0]


@override_settings(IMPORT_MAX_UPLOAD_BYTES=1024)
def test_a_text_over_the_import_limit_is_refused():
    with pytest.raises(ValidationError, match="at most 1 KB"):
        parse_draft("1. " + "слово " * 300)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "language"), [("framework_20_points_uk.txt", "uk"), ("e3_counter_proposal_ru.txt", "ru")]
)
def test_a_ukrainian_or_russian_text_imports_end_to_end(name, language):
    plan = PlanFactory(slug="us-plan")
    draft = import_text(
        plan=plan, label="28", dated=datetime.date(2025, 11, 20), text=fixture_text("draft_28_points.txt")
    ).version
    result = import_text(
        plan=plan,
        label=name,
        dated=datetime.date(2025, 12, 24),
        text=fixture_text(f"eval/{name}"),
        revises=draft,
    )
    assert result.report["language"] == language and result.report["earlier_language"] == "en"
    assert len(result.provisions) == 20
    links = Lineage.objects.filter(provision__version=result.version)
    assert links.count() >= 18
    assert all("other language" in link.note for link in links)
    sovereignty = Provision.objects.get(version=result.version, number="1")
    assert sovereignty.topics == ["sovereignty"]


def test_four_digit_numbers_are_points_only_in_sequence():
    assert numbers_of("998. a.\n999. b.\n1000. c.\n1001. d.") == ["998", "999", "1000", "1001"]
    assert numbers_of("1. In the year\n2025. The parties agree.\n2. Next.") == ["1", "2"]
