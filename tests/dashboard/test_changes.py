"""The "Latest changes" list: what each change concerns and, for an update, old → new in words."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor, Position
from dashboard.record import Record
from dashboard.selectors.changes import FieldChange, describe_changes
from history.models import Change
from history.records import end_of_day
from provisions.choices import LineageRelation
from provisions.models import ControlObservation, Provision, Source, Territory, Version
from provisions.services import lineage_link, provision_update
from tests.dashboard.conftest import grow, make_revision, point
from tests.factories import ControlObservationFactory, PositionFactory, ProvisionFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def latest(record: Record | None = None, limit: int = 8):
    record = record or Record()
    return describe_changes(record, record.changes(limit=limit))


def test_a_status_change_shows_the_point_and_old_and_new_status_in_words(client, draft):
    target = point(draft, "21")
    was = target.get_status_display().lower()
    provision_update(provision=target, status="agreed_in_principle")
    item = latest()[0]
    assert item.fields == [FieldChange("status", was, "agreed in principle")]
    assert item.summary == f"changed status: {was} → agreed in principle"
    assert item.concerns.label == f"28-point draft · point 21: {target.title}"[:80] or len(target.title) > 59
    assert item.concerns.url == target.get_absolute_url()
    body = html(client.get("/", {"version": draft.pk}))
    assert f"<del>{was}</del> → <ins>agreed in principle</ins>" in body
    assert "agreed_in_principle</" not in body
    assert f'href="{target.get_absolute_url()}"' in body
    assert "28-point draft · point 21:" in body


def test_a_text_change_shows_both_texts_shortened(draft):
    target = point(draft, "1")
    provision_update(provision=target, title="Sovereignty of Ukraine confirmed")
    item = latest()[0]
    [change] = item.fields
    assert change.label == "title"
    assert change.after == "“Sovereignty of Ukraine confirmed”"
    assert change.before.startswith("“") and change.before != change.after


def test_a_lineage_link_names_both_points_with_their_versions(draft):
    revision = make_revision(draft)
    item = next(c for c in latest(limit=20) if c.change.record_type == "provisions.lineage")
    assert item.label.startswith("Lineage link (")
    assert "from 28-point draft · point " in item.label
    assert item.concerns.label.startswith(f"{revision.label} · point ")
    assert item.concerns.url.startswith("/provisions/")


def test_a_stance_change_names_the_point_and_the_stance_before_and_after(draft):
    ukraine = Actor.objects.get(short_code="UA")
    position = Position.objects.filter(actor=ukraine, provision__isnull=False).first()
    position.stance = "mixed" if position.stance != "mixed" else "opposes"
    before = Position.objects.get(pk=position.pk).get_stance_display().lower()
    position.save()
    item = latest()[0]
    assert item.change.record_type == "actors.position"
    assert FieldChange("stance", before, position.get_stance_display().lower()) in item.fields
    assert item.concerns.label.startswith(f"{position.version.label} · point {position.provision.number}: ")


def test_a_territory_change_alone_is_named_not_numbered(draft):
    territory = Territory.objects.get(slug="donbas")
    territory.name = "Donbas region"
    territory.save()
    item = latest()[0]
    assert item.label == "Territory: Donbas region"
    assert item.fields == [FieldChange("name", "“Donbas”", "“Donbas region”")]


def test_as_of_a_date_a_territory_is_named_as_it_was_then(client, draft):
    territory = Territory.objects.get(slug="donbas")
    moment = end_of_day(datetime.date.today())
    observation = ControlObservationFactory(territory=territory, source=Source.objects.first())
    territory.name = "Renamed later"
    territory.save()
    Change.objects.filter(record_type="provisions.territory", object_id=territory.pk).filter(
        changed_at__gt=moment
    ).delete()  # nothing to do with the check below: keep only what stood at `moment`
    record = Record(moment)
    described = describe_changes(record, record.changes(limit=30))
    named = [c for c in described if c.change.record_type == "provisions.controlobservation"]
    assert any(c.change.object_id == observation.pk for c in named)
    assert all("territory #" not in c.label for c in described)


def test_a_territory_recorded_after_the_date_is_named_as_now_with_a_note(draft):
    territory = TerritoryFactory(name="Kharkiv Oblast")
    observation = ControlObservationFactory(territory=territory, source=Source.objects.first())
    moment = end_of_day(datetime.date.today())
    # The figure was on record on the page's date, the territory only later.
    ControlObservation.history.filter(id=observation.pk).update(history_date=moment - datetime.timedelta(days=3))
    Change.objects.filter(record_type="provisions.controlobservation", object_id=observation.pk).update(
        changed_at=moment - datetime.timedelta(days=3)
    )
    Territory.history.filter(id=territory.pk).update(history_date=moment + datetime.timedelta(days=1))
    record = Record(moment - datetime.timedelta(days=2))
    item = next(c for c in describe_changes(record, record.changes(limit=8)) if c.change.object_id == observation.pk)
    assert item.label == "Control figures: Kharkiv Oblast"
    assert "named as it is now" in item.note


def _mixed_changes(draft) -> None:
    """One change of each kind the list names: point, stance, lineage, territory, figures, disposition."""
    provision_update(provision=point(draft, "21"), status="disputed")
    PositionFactory(actor=Actor.objects.get(short_code="RU"), provision=point(draft, "2"), stance="mixed")
    later = Version.objects.get(revises=draft)
    child = ProvisionFactory(version=later, number=str(900 + Provision.objects.filter(version=later).count()))
    lineage_link(provision=child, derives_from=point(draft, "3"))
    territory = Territory.objects.get(slug="donbas")
    territory.name = f"{territory.name}."
    territory.save()
    ControlObservationFactory(territory=territory, source=Source.objects.first())


@pytest.mark.parametrize("as_of", [False, True], ids=["live", "as-of"])
def test_describing_the_latest_changes_costs_the_same_queries_at_two_data_sizes(
    draft, as_of, django_assert_max_num_queries
):
    def latest_changes():
        record = Record(end_of_day(datetime.date.today()) if as_of else None)
        changes = record.changes(limit=8)
        record.actors(), record.versions()  # the page reads these anyway
        return record, changes

    grow(draft, 1)
    _mixed_changes(draft)
    record, changes = latest_changes()
    with CaptureQueriesContext(connection) as queries:
        described = describe_changes(record, changes)
    assert len(described) == 8 and any(item.fields for item in described)
    small = len(queries)
    assert small <= 5  # the states written and before them (one UNION), points, territories (2 as of), claims

    grow(draft, 5)
    _mixed_changes(draft)
    record, changes = latest_changes()
    with django_assert_max_num_queries(small):
        described = describe_changes(record, changes)
    assert len(described) == 8 and any(item.fields for item in described)


def test_the_relation_of_a_lineage_link_reads_as_a_word(draft):
    revision = make_revision(draft)
    extra = point(revision, "1")
    lineage_link(provision=extra, derives_from=point(draft, "2"), relation=LineageRelation.MOVED)
    item = latest()[0]
    assert item.label.startswith("Lineage link (moved) from 28-point draft · point 2: ")
