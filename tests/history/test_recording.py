"""Every write path records history and a change-log row: save, update(), bulk, admin actions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError, Q
from django.urls import reverse
from django.utils import timezone

from actors.models import Event, Position
from history.feed import feed_entries
from history.models import Change
from history.records import as_of, end_of_day, history_of, m2m_as_of
from history.writing import delete_recorded, save_recorded
from provisions.models import Provision, Source, Version
from provisions.numbering import point_sort_key
from provisions.services import provision_update, provisions_set_status
from tests.factories import (
    ActorFactory,
    EventFactory,
    PositionFactory,
    ProvisionFactory,
    SourceFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db


def changes_for(obj):
    return list(Change.objects.filter(record_type=obj._meta.label_lower, object_id=obj.pk).order_by("id"))


def test_a_save_records_history_and_a_change():
    point = ProvisionFactory(title="Sovereignty")
    assert point.history.count() == 1
    [change] = changes_for(point)
    assert change.action == "created"
    assert "title" in change.changed_fields


def test_an_update_records_who_changed_which_fields(editor):
    point = ProvisionFactory(title="Sovereignty", status="proposed")
    provision_update(provision=point, status="disputed", user=editor)
    latest = point.history.first()
    assert latest.status == "disputed"
    assert latest.history_user == editor
    change = changes_for(point)[-1]
    assert change.action == "updated"
    assert change.changed_fields == ["status"]
    assert change.changed_by == editor


def test_queryset_update_records_history_for_every_row():
    version = VersionFactory()
    points = ProvisionFactory.create_batch(3, version=version)
    updated = Provision.objects.filter(version=version).update(status="agreed")
    assert updated == 3
    for point in points:
        assert [h.status for h in point.history.order_by("history_id")] == ["proposed", "agreed"]
        assert changes_for(point)[-1].changed_fields == ["status"]


def test_queryset_update_through_an_outer_join_locks_only_its_own_rows():
    # An OR across a nullable relation makes an outer join, which PostgreSQL
    # refuses to lock unless FOR UPDATE names the updated table alone.
    on_point = PositionFactory(stance="supports")
    whole = PositionFactory(provision=None, version=VersionFactory(), stance="supports")
    matching = Position.objects.filter(Q(provision__number=on_point.provision.number) | Q(provision__isnull=True))
    assert matching.update(stance="opposes") == 2
    assert {p.stance for p in Position.objects.filter(pk__in=[on_point.pk, whole.pk])} == {"opposes"}


def test_queryset_update_with_an_expression_is_refused_rather_than_unrecorded():
    from django.db.models import F

    ProvisionFactory()
    with pytest.raises(TypeError, match="cannot be recorded"):
        Provision.objects.update(title=F("number"))


def test_bulk_create_records_history_and_changes():
    version = VersionFactory()
    created = Provision.objects.bulk_create(
        [Provision(version=version, number=str(n), title=f"P{n}", text="t", topics=["nato_alliances"]) for n in (1, 2)]
    )
    for point in created:
        assert point.history.count() == 1
        assert changes_for(point)[0].action == "created"


def test_bulk_update_records_history_and_bumps_updated_at():
    points = ProvisionFactory.create_batch(2)
    before = {p.pk: p.updated_at for p in points}
    for point in points:
        point.title = "Renamed"
    Provision.objects.bulk_update(points, ["title"])
    for point in Provision.objects.filter(pk__in=before):
        assert point.history.first().title == "Renamed"
        assert point.updated_at > before[point.pk]


def test_a_delete_is_recorded(editor):
    point = ProvisionFactory()
    pk = point.pk
    delete_recorded(point, user=editor)
    deleted = Provision.history.filter(id=pk).first()
    assert deleted.history_type == "-"
    assert Change.objects.filter(object_id=pk, record_type="provisions.provision").last().action == "deleted"


def test_queryset_delete_is_recorded_per_row():
    points = ProvisionFactory.create_batch(2)
    Provision.objects.filter(pk__in=[p.pk for p in points]).delete()
    assert Provision.history.filter(history_type="-").count() == 2


def test_the_status_service_records_each_point_with_its_user(editor):
    points = ProvisionFactory.create_batch(2, status="proposed")
    assert provisions_set_status(provisions=Provision.objects.all(), status="agreed", user=editor) == 2
    for point in points:
        assert point.history.first().history_user == editor


def test_admin_bulk_action_records_history(editor_client, editor):
    points = ProvisionFactory.create_batch(2, status="proposed")
    response = editor_client.post(
        reverse("admin:provisions_provision_changelist"),
        {"action": "mark_agreed", "_selected_action": [p.pk for p in points]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 point(s) marked" in response.content.decode()
    for point in points:
        latest = point.history.first()
        assert (latest.status, latest.history_user) == ("agreed", editor)


def test_change_ids_follow_the_order_of_the_writes():
    first, second = ProvisionFactory(), ProvisionFactory()
    provision_update(provision=first, title="Later")
    second_id = second.pk
    delete_recorded(second)
    log = [(c.object_id, c.action) for c in Change.objects.filter(record_type="provisions.provision").order_by("id")]
    assert log == [(first.pk, "created"), (second_id, "created"), (first.pk, "updated"), (second_id, "deleted")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers by itself")
def test_a_writer_holds_the_change_log_lock_until_it_commits():
    # The test runs in one transaction: the lock taken by the write is still held here.
    ProvisionFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 1


def test_as_of_returns_the_record_as_it_stood_then():
    point = save_recorded(
        ProvisionFactory.build(version=VersionFactory(), title="Old title"),
        recorded_at=end_of_day(datetime.date(2025, 11, 20)),
    )
    point.title = "New title"
    save_recorded(point, recorded_at=end_of_day(datetime.date(2025, 11, 24)))
    assert [p.title for p in as_of(Provision, end_of_day(datetime.date(2025, 11, 22)))] == ["Old title"]
    assert [p.title for p in as_of(Provision, end_of_day(datetime.date(2025, 11, 25)))] == ["New title"]
    assert list(as_of(Provision, end_of_day(datetime.date(2025, 11, 19)))) == []


def test_history_of_lists_every_state_newest_first(editor):
    point = ProvisionFactory(title="First")
    provision_update(provision=point, title="Second", user=editor)
    assert [h.title for h in history_of(point)] == ["Second", "First"]


def test_an_edit_can_be_reverted_in_the_admin(editor_client):
    point = ProvisionFactory(title="Original", topics=["territory"])
    original = point.history.first()
    provision_update(provision=point, title="Edited")
    url = reverse("admin:provisions_provision_simple_history", args=[point.pk, original.history_id])
    page = editor_client.get(url)
    assert page.status_code == 200
    assert "Original" in page.content.decode()
    response = editor_client.post(
        url,
        {
            "version": point.version_id,
            "number": point.number,
            "title": original.title,
            "text": original.text,
            "topics": original.topics,
            "status": original.status,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    point.refresh_from_db()
    assert point.title == "Original"
    assert [h.title for h in point.history.all()[:3]] == ["Original", "Edited", "Original"]


# Bulk writes validate like save_recorded() and keep derived fields right.


def test_update_to_a_number_the_version_already_has_is_refused_and_changes_nothing():
    version = VersionFactory()
    ProvisionFactory(version=version, number="1")
    second = ProvisionFactory(version=version, number="2")
    with pytest.raises(ValidationError) as error:
        Provision.objects.filter(pk=second.pk).update(number="1")
    assert "number" in error.value.message_dict
    second.refresh_from_db()
    assert (second.number, second.history.count()) == ("2", 1)


def test_update_of_a_number_recomputes_the_sort_key():
    point = ProvisionFactory(number="2")
    Provision.objects.filter(pk=point.pk).update(number="10a")
    point.refresh_from_db()
    assert point.sort_key == point_sort_key("10a")


def test_bulk_update_giving_two_points_of_a_batch_one_new_number_is_refused():
    version = VersionFactory()
    points = [ProvisionFactory(version=version, number="1"), ProvisionFactory(version=version, number="2")]
    for point in points:
        point.number = "7"
    with pytest.raises(ValidationError, match="already has a point with this number"):
        Provision.objects.bulk_update(points, ["number"])
    assert sorted(version.provisions.values_list("number", flat=True)) == ["1", "2"]
    assert Change.objects.filter(action="updated").count() == 0


def test_bulk_create_refuses_a_position_dated_in_the_future_and_saves_nothing():
    point = ProvisionFactory()
    valid, future = (
        Position(
            actor=ActorFactory(), provision=point, version=point.version, stance="supports", summary="s", taken_on=day
        )
        for day in (datetime.date(2025, 11, 20), datetime.date(2999, 1, 1))
    )
    with pytest.raises(ValidationError) as error:
        Position.objects.bulk_create([valid, future])
    assert "taken_on" in error.value.message_dict
    assert Position.objects.count() == 0


# Bulk writes keep the many-to-many state in history.


def test_a_queryset_update_keeps_the_sources_in_the_new_history_row():
    source = SourceFactory()
    position = PositionFactory(sources=[source], stance="supports")
    Position.objects.filter(pk=position.pk).update(stance="opposes")
    [now] = as_of(Position, timezone.now())
    assert now.stance == "opposes"
    assert m2m_as_of(Position, "sources", [now]) == {position.pk: [source.pk]}
    [entry] = feed_entries([Change.objects.filter(record_type="actors.position").last()])
    assert entry["data"]["sources"] == [source.pk]


# Deletes that would change other records without history are refused.


def cited_source():
    source = SourceFactory()
    PositionFactory(sources=[source])
    return source


def source_of_a_version():
    source = SourceFactory()
    VersionFactory().sources.add(source)
    return source


@pytest.mark.parametrize(
    "make",
    [
        cited_source,
        source_of_a_version,
        lambda: EventFactory(sources=[SourceFactory()]).sources.get(),
        lambda: EventFactory(actors=[ActorFactory()]).actors.get(),
        lambda: Event.objects.get(pk=EventFactory(version=VersionFactory()).pk).version,
    ],
    ids=["source-of-position", "source-of-version", "source-of-event", "actor-of-event", "version-of-event"],
)
def test_deleting_a_record_others_still_cite_is_refused_and_logs_nothing(make):
    record = make()
    before = list(Change.objects.values_list("id", flat=True))
    with pytest.raises(ProtectedError), transaction.atomic():
        delete_recorded(record)
    assert type(record).objects.filter(pk=record.pk).exists()
    assert list(Change.objects.values_list("id", flat=True)) == before


def test_a_queryset_delete_of_a_cited_source_is_refused_too():
    source = cited_source()
    with pytest.raises(ProtectedError), transaction.atomic():
        Source.objects.filter(pk=source.pk).delete()
    assert Position.objects.get().sources.get() == source


def test_deleting_a_version_logs_every_record_deleted_with_it():
    position = PositionFactory()
    ids = {
        "provisions.version": position.version_id,
        "provisions.provision": position.provision_id,
        "actors.position": position.pk,
    }
    delete_recorded(Version.objects.get(pk=position.version_id))
    deleted = set(Change.objects.filter(action="deleted").values_list("record_type", "object_id"))
    assert deleted == set(ids.items())


# Many-to-many writes are recorded on the record that owns the field.


def test_adding_a_source_from_the_sources_side_is_refused():
    position, source = PositionFactory(), SourceFactory()
    with pytest.raises(TypeError, match="owns it"), transaction.atomic():
        source.positions.add(position)
    assert source not in position.sources.all()


def test_adding_a_source_to_a_position_records_the_position():
    position, source = PositionFactory(), SourceFactory()
    before = position.history.count()
    position.sources.add(source)
    assert position.history.count() == before + 1
    assert source.pk in m2m_as_of(Position, "sources", list(as_of(Position, timezone.now())))[position.pk]
