"""Every write path records history and a change-log row: save, update(), bulk, admin actions."""

import datetime

import pytest
from django.urls import reverse

from history.models import Change
from history.records import as_of, end_of_day, history_of
from history.writing import delete_recorded, save_recorded
from provisions.models import Provision
from provisions.services import provision_update, provisions_set_status
from tests.factories import ProvisionFactory, VersionFactory

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


def test_queryset_update_with_an_expression_is_refused_rather_than_unrecorded():
    from django.db.models import F

    ProvisionFactory()
    with pytest.raises(TypeError, match="cannot be recorded"):
        Provision.objects.update(title=F("number"))


def test_bulk_create_records_history_and_changes():
    version = VersionFactory()
    created = Provision.objects.bulk_create(
        [Provision(version=version, number=str(n), sort_key=f"{n:05d}", title=f"P{n}", text="t") for n in (1, 2)]
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


def test_change_ids_follow_commit_order():
    first, second = ProvisionFactory(), ProvisionFactory()
    ids = [c.id for c in Change.objects.order_by("id")]
    assert ids == sorted(ids)
    assert changes_for(first)[0].id < changes_for(second)[0].id


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
