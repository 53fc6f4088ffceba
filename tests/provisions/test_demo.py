"""The demo dataset: the whole 28-point draft, sourced, with disagreements kept."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from actors.models import Account, Actor, Event, Position
from history.models import Change
from provisions.choices import Topic
from provisions.models import ControlObservation, Provision, Source, TerritorialDisposition, Version

pytestmark = pytest.mark.django_db


def draft():
    return Version.objects.get(label="28-point draft")


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
    call_command("load_demo")
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
