"""Splitting a draft into points, proposing lineage, creating the version (provisions/importing.py)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from history.models import Change
from provisions.choices import LineageRelation, Topic, VersionStatus
from provisions.importing import guess_topics, import_text, parse_draft, propose_lineage
from provisions.models import Lineage, Provision, Version
from tests.exchange.conftest import fixture_text
from tests.factories import ProvisionFactory, VersionFactory


def numbers(text: str) -> list[str]:
    return [point.number for point in parse_draft(text).points]


# --- Parsing -----------------------------------------------------------------


def test_the_28_point_draft_gives_28_points_in_order_with_the_preamble_kept_apart():
    draft = parse_draft(fixture_text("draft_28_points.txt"))
    assert [p.number for p in draft.points] == [str(n) for n in range(1, 29)]
    assert draft.preamble.startswith("DRAFT FRAMEWORK FOR PEACE")
    assert draft.warnings == []


def test_hard_wrapped_lines_are_joined_and_the_wording_is_kept():
    point = parse_draft(fixture_text("draft_28_points.txt")).points[1]
    assert point.text == (
        "A comprehensive non-aggression agreement will be concluded between Russia, Ukraine and Europe. "
        "All ambiguities of the last thirty years will be considered settled."
    )


def test_bullets_stay_in_their_point_one_per_line_with_wrapped_bullets_joined():
    point = parse_draft(fixture_text("draft_28_points.txt")).points[9]
    lines = point.text.split("\n")
    assert lines[0] == "The United States guarantee:"
    assert len(lines) == 5 and all(line.startswith("- ") for line in lines[1:])
    assert "decisive coordinated military response, all global sanctions" in lines[3]
    assert point.title == "The United States guarantee"


@pytest.mark.parametrize(
    "text",
    [
        "1. First point.\n2. Second point.",
        "1) First point.\n2) Second point.",
        "Point 1: First point.\nPoint 2: Second point.",
        "POINT 1. First point.\npoint 2 - Second point.",
        "1: First point.\n2: Second point.",
        "## 1. First point\n## 2. Second point",
        "**1.** First point.\n**2.** Second point.",
    ],
)
def test_the_usual_numbering_forms_are_recognized(text):
    assert numbers(text) == ["1", "2"]


def test_letter_sub_points_are_numbered_under_the_preceding_point():
    text = "10. The guarantee:\na. first part;\nb) second part;\n(c) third part.\n11. Next point."
    assert numbers(text) == ["10", "10a", "10b", "10c", "11"]


def test_numbers_with_a_letter_glued_on_are_points():
    assert numbers("10. Main.\n10a Sub one.\n10b. Sub two.\n11. Next.") == ["10", "10a", "10b", "11"]


def test_counter_proposal_sub_points_and_bullets():
    draft = parse_draft(fixture_text("counter_proposal.md"))
    assert [p.number for p in draft.points] == [
        "1", "2", "3", "4", "4a", "4b", "4c", "5", "6", "7", "8", "9", "10", "11", "12",
    ]  # fmt: skip
    by_number = {p.number: p for p in draft.points}
    assert by_number["4b"].text == "the United States will receive compensation for the guarantee;"
    assert by_number["4b"].title == "The United States will receive compensation for the guarantee"
    assert by_number["10"].text.count("\n- ") == 3


def test_markdown_bold_labels_and_headings_become_titles_not_text():
    draft = parse_draft("1) **Sovereignty.** Ukraine's sovereignty is confirmed.\n## 2. Elections\nWithin 100 days.")
    first, second = draft.points
    assert (first.title, first.text) == ("Sovereignty", "Ukraine's sovereignty is confirmed.")
    assert (second.title, second.text) == ("Elections", "Within 100 days.")


def test_a_short_label_before_a_colon_is_the_title():
    [point] = parse_draft("21. Territories: Crimea, Luhansk and Donetsk will be recognised.").points
    assert point.title == "Territories"


def test_a_long_first_sentence_gives_its_first_words_as_title():
    [point] = parse_draft("4. " + " ".join(["word"] * 30) + ".").points
    assert point.title == "Word word word word word word word word …"


@pytest.mark.parametrize(
    "line",
    ["1.5 million people were displaced.", "Article 5 of the treaty applies.", "2025 was a hard year.", "- a bullet"],
)
def test_lines_that_only_look_numbered_continue_the_point(line):
    draft = parse_draft(f"1. First point.\n{line}\n2. Second point.")
    assert [p.number for p in draft.points] == ["1", "2"]
    assert line.removeprefix("- ") in draft.points[0].text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The text is empty."),
        ("   \n\n  ", "The text is empty."),
        ("Just a paragraph about the talks.\nAnd another line.", "No numbered points found"),
        ("1. One.\n2. Two.\n2. Two again.", "Point 2 appears twice (lines 2 and 3)."),
        ("3. Three.\n3a. Sub.\n3a) The same sub again.", "Point 3a appears twice"),
    ],
)
def test_bad_texts_are_refused_with_the_reason(text, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_draft(text)


def test_gaps_in_the_numbering_are_reported_as_warnings():
    assert parse_draft("1. One.\n2. Two.\n5. Five.").warnings == [
        "Numbering skips 3, 4: check the text near those points."
    ]


def test_topics_are_guessed_from_words_and_none_is_no_topic_not_a_fallback():
    assert guess_topics("The ceasefire starts on the line of contact.") == [Topic.TERRITORY, Topic.CEASEFIRE]
    assert guess_topics("Nothing recognizable here.") == []


# --- Proposing lineage -------------------------------------------------------


class Old:
    """An earlier point as propose_lineage sees it (no database needed)."""

    def __init__(self, pk, point):
        from provisions.numbering import point_sort_key

        self.pk, self.number, self.text, self.sort_key = pk, point.number, point.text, point_sort_key(point.number)


@pytest.fixture
def old_28():
    return [Old(pk, point) for pk, point in enumerate(parse_draft(fixture_text("draft_28_points.txt")).points, 1)]


def links_of(proposal):
    return {(link.new_number, link.old_number, str(link.relation)) for link in proposal.links}


def test_revision_links_renumbered_merged_and_split_points_and_reports_new_and_dropped(old_28):
    revision = parse_draft(fixture_text("revision_19_points.md"))
    proposal = propose_lineage(revision.points, old_28)
    assert links_of(proposal) == {
        ("1", "1", "reworded"),
        ("2", "2", "merged"),  # non-aggression pact and law merged
        ("2", "16", "merged"),
        ("3", "3", "reworded"),
        ("4", "5", "reworded"),  # renumbered from 5 to 4
        ("5", "6", "reworded"),  # 600,000 -> 800,000
        ("6", "7", "merged"),  # NATO membership and NATO troops merged
        ("6", "8", "merged"),
        ("7", "10", "split"),  # the US guarantee split in two
        ("8", "10", "split"),
        ("9", "11", "carried"),
        ("10", "12", "reworded"),
        ("11", "13", "reworded"),
        ("12", "14", "reworded"),
        ("13", "17", "merged"),  # two nuclear points merged
        ("13", "18", "merged"),
        ("14", "19", "reworded"),
        ("15", "21", "reworded"),
        ("16", "22", "carried"),
        ("17", "24", "reworded"),
        ("19", "28", "carried"),
    }
    assert proposal.new_numbers == ["18"]
    assert [p.number for p in proposal.dropped] == ["4", "9", "15", "20", "23", "25", "26", "27"]


def test_every_link_carries_a_similarity_between_0_and_1(old_28):
    proposal = propose_lineage(parse_draft(fixture_text("revision_19_points.md")).points, old_28)
    scores = {(link.new_number, link.old_number): link.similarity for link in proposal.links}
    assert scores[("9", "11")] == 1.0
    assert all(0 < score <= 1 for score in scores.values())
    assert scores[("13", "17")] >= scores[("13", "18")] > 0.3
    assert all(link.reason for link in proposal.links)


def test_counter_proposal_links_sub_points_split_from_one_point(old_28):
    proposal = propose_lineage(parse_draft(fixture_text("counter_proposal.md")).points, old_28)
    found = links_of(proposal)
    assert {("4", "5", "reworded"), ("4b", "10", "split"), ("4c", "10", "split")} <= found
    assert {("1", "1", "reworded"), ("5", "6", "reworded"), ("12", "28", "reworded")} <= found
    assert ("8", "21", "moved") in found  # territorial negotiations from the line of contact, before 9 <- 19
    assert proposal.new_numbers == ["4a", "6"]
    assert "21" not in [p.number for p in proposal.dropped] and "20" in [p.number for p in proposal.dropped]


def test_with_nothing_to_compare_every_point_is_new():
    proposal = propose_lineage(parse_draft("1. One thing.\n2. Another.").points, [])
    assert (proposal.links, proposal.new_numbers, proposal.dropped) == ([], ["1", "2"], [])


def test_progress_is_reported_point_by_point(old_28):
    seen = []
    propose_lineage(
        parse_draft("1. One.\n2. Two.\n3. Three.").points, old_28, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


# --- Creating the version ----------------------------------------------------


def test_import_creates_a_proposed_version_with_its_points_and_unconfirmed_links(draft_28, editor):
    result = import_text(
        plan=draft_28.plan,
        label="19-point revision",
        dated=datetime.date(2025, 11, 23),
        text=fixture_text("revision_19_points.md"),
        revises=draft_28,
        user=editor,
    )
    version = result.version
    assert version.status == VersionStatus.PROPOSED and version.revises == draft_28
    points = list(Provision.objects.in_version(version).in_order())
    assert [p.number for p in points] == [str(n) for n in range(1, 20)]
    links = Lineage.objects.filter(provision__version=version)
    assert links.count() == 21
    assert not links.filter(confirmed=True).exists()
    merged = links.get(provision__number="13", derives_from__number="17")
    assert merged.relation == LineageRelation.MERGED and 0.3 < merged.similarity <= 1
    assert merged.note.startswith("Proposed by the importer: renumbered 17 → 13; merged: ")
    assert points[0].history.first().history_user == editor
    assert result.report["counts"] == {
        "points": 19, "linked": 18, "links": 21, "new": 1, "dropped": 8, "merged": 3, "split": 1,
    }  # fmt: skip


def test_points_take_the_topics_of_their_earlier_points_or_a_guess(draft_28):
    Provision.objects.filter(version=draft_28, number="17").update(topics=["nuclear"])
    Provision.objects.filter(version=draft_28, number="18").update(topics=["nuclear", "military_limits"])
    result = import_text(
        plan=draft_28.plan,
        label="Revision",
        dated=datetime.date(2025, 11, 23),
        text=fixture_text("revision_19_points.md"),
        revises=draft_28,
    )
    points = {p.number: p for p in result.provisions}
    assert points["13"].topics == ["nuclear", "military_limits"]
    assert "13" not in result.report["topics_guessed"] + result.report["topics_missing"]
    assert "18" in result.report["topics_guessed"] + result.report["topics_missing"]


def test_a_duplicate_label_leaves_nothing_behind(draft_28):
    versions, points, changes = Version.objects.count(), Provision.objects.count(), Change.objects.count()
    with pytest.raises(ValidationError, match="already has a version with this label"):
        import_text(
            plan=draft_28.plan, label="28-point draft", dated=datetime.date(2025, 11, 21), text="1. One.\n2. Two."
        )
    assert (Version.objects.count(), Provision.objects.count(), Change.objects.count()) == (versions, points, changes)


def test_a_failure_half_way_rolls_back_the_version_its_points_and_links(draft_28, monkeypatch):
    from provisions import services

    calls = []
    real_link = services.lineage_link

    def failing_link(**kwargs):
        calls.append(kwargs)
        if len(calls) == 5:
            raise ValidationError("refused")
        return real_link(**kwargs)

    monkeypatch.setattr(services, "lineage_link", failing_link)
    before = (Version.objects.count(), Provision.objects.count(), Lineage.objects.count(), Change.objects.count())
    with pytest.raises(ValidationError, match="refused"):
        import_text(
            plan=draft_28.plan,
            label="Revision",
            dated=datetime.date(2025, 11, 23),
            text=fixture_text("revision_19_points.md"),
            revises=draft_28,
        )
    assert len(calls) == 5
    after = (Version.objects.count(), Provision.objects.count(), Lineage.objects.count(), Change.objects.count())
    assert after == before


def test_a_revised_version_dated_later_than_the_import_is_refused(db):
    later = VersionFactory(dated=datetime.date(2025, 12, 1))
    ProvisionFactory(version=later)
    with pytest.raises(ValidationError, match="earlier version"):
        import_text(plan=later.plan, label="Early", dated=datetime.date(2025, 11, 1), text="1. One.", revises=later)
    assert Version.objects.filter(plan=later.plan).count() == 1


# --- Edge cases: lists inside points, wrapped numbers, roman items -------------


def test_roman_items_under_a_lettered_sub_point_stay_in_its_text():
    draft = parse_draft(
        "10. Guarantees:\na) The guarantor will:\n(i) monitor the line;\n(ii) report breaches.\nb) Sanctions return.\n"
    )
    assert [p.number for p in draft.points] == ["10", "10a", "10b"]
    assert "(i) monitor the line;" in draft.points[1].text and "(ii) report breaches." in draft.points[1].text


def test_an_inner_numbered_list_restarting_at_1_is_text_of_its_point():
    draft = parse_draft("1. First.\n2. Steps:\n1) ceasefire;\n2) exchange;\n3) elections.\n3. Third.\n")
    assert [p.number for p in draft.points] == ["1", "2", "3"]
    assert "1) ceasefire;" in draft.points[1].text and "3) elections." in draft.points[1].text
    assert draft.points[2].text == "Third."


def test_a_wrapped_line_starting_with_a_lower_number_is_a_continuation():
    draft = parse_draft("11. Forces will be capped for at least\n5. years after signature.\n12. Next.\n")
    assert [p.number for p in draft.points] == ["11", "12"]
    assert "at least 5. years after signature." in draft.points[0].text.replace("\n\n", " ")


def test_numbers_going_down_after_a_full_sentence_are_kept_with_a_warning():
    draft = parse_draft("1. One.\n7. Seven.\n5. Five.\n")
    assert [p.number for p in draft.points] == ["1", "7", "5"]
    assert "Point 5 (line 3) comes after point 7: check the order." in draft.warnings
