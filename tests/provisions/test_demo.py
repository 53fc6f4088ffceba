"""The demo dataset: the whole 28-point draft, sourced, with disagreements kept, and the
European counter-proposal linked to it point by point."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from actors.models import Account, Actor, Claim, Event, Position
from history.models import Change
from history.writing import delete_recorded, save_recorded
from provisions.choices import Disposition, LineageRelation, Topic
from provisions.demo.loading import load_demo
from provisions.models import ControlObservation, Lineage, Plan, Provision, Source, TerritorialDisposition, Version
from provisions.selectors import compare_versions, lineage_of
from provisions.services import provision_update
from tests.conftest import DEMO_FIXTURE as DATASET

pytestmark = pytest.mark.django_db

REWORDED_BY_E3 = {"6", "7", "8", "14", "21", "25"}
ALL_MODELS = [
    Source, Actor, ControlObservation, Plan, Version, Provision, TerritorialDisposition, Lineage,
    Position, Event, Claim, Account,
]  # fmt: skip


def draft():
    return Version.objects.get(label="28-point draft")


def e3_version():
    return Version.objects.get(plan__slug="european-counter-proposal")


def counts():
    return {model: model.objects.count() for model in ALL_MODELS}


def test_the_28_point_draft_is_loaded_whole(demo_data):
    points = list(draft().provisions.all())
    assert [p.number for p in points] == [str(n) for n in range(1, 29)]
    assert all(p.title and p.text and p.topics for p in points)
    assert all(set(p.topics) <= set(Topic.values) for p in points)


def test_the_territorial_point_sets_dispositions(demo_data):
    point_21 = draft().provisions.get(number="21")
    dispositions = {(d.territory.slug, d.disposition) for d in point_21.dispositions.select_related("territory")}
    assert ("crimea", "recognized_russian_de_facto") in dispositions
    assert ("luhansk", "recognized_russian_de_facto") in dispositions
    assert ("kherson", "frozen_on_contact_line") in dispositions
    assert ("zaporizhzhia", "frozen_on_contact_line") in dispositions
    assert any(d == "demilitarized_zone" for _, d in dispositions)


def test_both_reported_donbas_shares_are_kept_each_with_its_source(demo_data):
    observations = ControlObservation.objects.filter(territory__slug="donbas").select_related("source")
    shares = {float(o.ukraine_share): o.source for o in observations}
    assert set(shares) == {12.0, 14.5}
    assert shares[12.0] != shares[14.5]


def test_the_actors_of_the_article_are_there_with_their_parties(demo_data):
    slugs = set(Actor.objects.values_list("slug", flat=True))
    for slug in ["united-states", "russia", "ukraine", "turkey", "qatar"]:
        assert slug in slugs
    umerov = Actor.objects.get(name__icontains="Umerov")
    assert umerov.represents.slug == "ukraine"
    assert Actor.objects.principal().count() >= 3


def test_every_position_and_event_has_a_source(demo_data):
    assert Position.objects.count() >= 20
    assert not Position.objects.filter(sources=None).exists()
    assert Event.objects.count() >= 8
    assert not Event.objects.filter(sources=None).exists()


def test_competing_accounts_of_umerovs_agreement_are_both_recorded(demo_data):
    accounts = Account.objects.filter(claim__question__icontains="Umerov").select_related("source")
    assert accounts.count() == 2
    assert len({a.claimant for a in accounts}) == 2


def test_loading_twice_changes_nothing(demo_data):
    counts = {m: m.objects.count() for m in [Provision, Position, Source, TerritorialDisposition, Account]}
    changes = Change.objects.count()
    call_command("load_demo", "--path", str(DATASET))
    assert {m: m.objects.count() for m in counts} == counts
    assert Change.objects.count() == changes


def test_history_of_demo_facts_is_dated_when_they_were_reported(demo_data):
    point = draft().provisions.get(number="1")
    assert point.history.earliest("history_date").history_date.date() == draft().dated


def test_a_broken_dataset_is_refused_whole(tmp_path, db):
    bad = tmp_path / "bad.json"
    bad.write_text('{"sources": [{"key": "s", "publisher": "X", "title": "", "kind": "news_report"}]}')
    with pytest.raises(CommandError, match="nothing saved"):
        call_command("load_demo", "--file", str(bad))
    assert Source.objects.count() == 0


def test_the_european_counter_proposal_is_a_version_answering_the_draft(demo_data):
    version = e3_version()
    assert version.plan.answers.slug == "us-peace-framework"
    assert version.revises == draft()
    assert (version.dated.isoformat(), version.status, version.text_basis) == ("2025-11-23", "proposed", "reported")
    [source] = version.sources.all()
    assert (source.publisher, source.published_on.isoformat(), source.url) == ("Reuters", "2025-11-23", "")
    assert [p.number for p in version.provisions.all()] == [str(n) for n in range(1, 29)]


def test_comparing_the_draft_with_the_counter_proposal_shows_the_reported_changes(demo_data):
    comparison = compare_versions(draft(), e3_version())
    changed = {change.new.number for change in comparison.of_kind("changed")}
    assert changed == REWORDED_BY_E3
    assert comparison.counts == {"added": 0, "removed": 0, "changed": 6, "unchanged": 22, "unknown": 0}
    army = next(c for c in comparison.of_kind("changed") if c.new.number == "6")
    assert "800,000" in army.new.text and "600,000" in army.old[0].text


def test_every_counter_proposal_point_is_linked_to_its_draft_point_confirmed(demo_data):
    links = Lineage.objects.filter(provision__version=e3_version()).select_related("provision", "derives_from")
    assert links.count() == 28
    for link in links:
        assert link.derives_from.version == draft() and link.derives_from.number == link.provision.number
        assert link.confirmed and link.similarity is None
        expected = LineageRelation.REWORDED if link.provision.number in REWORDED_BY_E3 else LineageRelation.CARRIED
        assert link.relation == expected


def test_a_draft_point_shows_its_counter_proposal_version_as_later(demo_data):
    earlier, later = lineage_of(draft().provisions.get(number="21"))
    assert earlier == []
    assert [(step.provision.version, step.provision.number) for step in later] == [(e3_version(), "21")]


def test_the_counter_proposal_freezes_the_four_regions_on_the_contact_line(demo_data):
    point_21 = e3_version().provisions.get(number="21")
    dispositions = {(d.territory.slug, d.disposition) for d in point_21.dispositions.select_related("territory")}
    frozen = Disposition.FROZEN_ON_CONTACT_LINE
    assert dispositions == {(slug, frozen) for slug in ["donetsk", "luhansk", "zaporizhzhia", "kherson"]}


def test_carried_points_keep_the_drafts_territorial_dispositions(demo_data):
    def of(version):
        point = version.provisions.get(number="23")
        return {(d.territory_id, d.disposition) for d in point.dispositions.all()}

    assert of(e3_version()) == of(draft()) != set()


def test_only_the_european_partners_stance_on_the_counter_proposal_is_recorded(demo_data):
    positions = Position.objects.filter(version=e3_version()).select_related("actor").prefetch_related("sources")
    assert [(p.actor.slug, p.stance, p.provision) for p in positions] == [("european-partners", "supports", None)]
    assert [s.publisher for s in positions[0].sources.all()] == ["Reuters"]


def test_no_demo_text_calls_a_source_the_seed_article(demo_data):
    data = json.loads(DATASET.read_text(encoding="utf-8"))

    def texts(value, key=""):
        if key == "formerly":  # former keys, kept only to find records loaded before a rename
            return
        if isinstance(value, dict):
            for name, item in value.items():
                yield from texts(item, name)
        elif isinstance(value, list):
            for item in value:
                yield from texts(item)
        elif isinstance(value, str):
            yield value

    assert not [text for text in texts(data) if "seed" in text.lower()]
    assert not Source.objects.filter(publisher__icontains="seed").exists()


def test_loading_again_keeps_an_edited_stance_and_point_number_without_duplicates(demo_data):
    position = Position.objects.get(actor__slug="ukraine", provision__version=draft(), provision__number="6")
    position.stance = "conditional"
    save_recorded(position)
    point = draft().provisions.get(number="25")
    provision_update(provision=point, number="25a")
    before = counts()

    call_command("load_demo", "--path", str(DATASET))

    assert counts() == before
    position.refresh_from_db()
    assert position.stance == "conditional"
    current = Position.objects.filter(actor__slug="ukraine", provision=position.provision).current()
    assert [p.stance for p in current] == ["conditional"]
    assert not draft().provisions.filter(number="25").exists()
    assert draft().provisions.get(number="25a").pk == point.pk


def test_loading_again_does_not_bring_back_a_point_an_editor_deleted(demo_data):
    point = e3_version().provisions.get(number="14")
    delete_recorded(point)
    before = counts()

    loader = load_demo(DATASET)

    assert counts() == before
    assert loader.deleted == {"points": 1}
    assert not e3_version().provisions.filter(number="14").exists()


def test_a_database_loaded_before_a_source_was_renamed_gets_no_twin(tmp_path, db):
    data = json.loads(DATASET.read_text(encoding="utf-8"))
    for row in [*data["sources"], *(a for claim in data["claims"] for a in claim["accounts"])]:
        row.update(row.pop("formerly", {}))
    older = tmp_path / "older.json"
    older.write_text(json.dumps(data), encoding="utf-8")
    load_demo(older)
    before = counts()

    load_demo(DATASET)

    assert counts() == before
