"""Editors' scripts write a point's lineage (`derives_from`) and territories through the API."""

import pytest

from history.models import Change
from provisions.models import ControlObservation, Lineage, Provision, TerritorialDisposition

pytestmark = pytest.mark.django_db


def last_change_id() -> int:
    # Not a count: on PostgreSQL, ids keep counting across the tests' rolled-back transactions.
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


def url(point: Provision) -> str:
    return f"/api/v1/provisions/{point.pk}/"


def test_a_new_point_is_created_with_its_lineage_and_territories(editor_api, world):
    before = last_change_id()
    response = editor_api.post(
        "/api/v1/provisions/",
        {
            "version": world.new.pk,
            "number": "30",
            "title": "Exchange of prisoners",
            "text": "All for all.",
            "topics": ["humanitarian"],
            "status": "proposed",
            "derives_from": [{"id": world.old_points[0].pk, "relation": "split"}],
            "territories": [{"id": world.territories[0].pk, "disposition": "frozen_on_contact_line", "note": "East"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["derives_from"] == [
        {"id": world.old_points[0].pk, "relation": "split", "similarity": None, "confirmed": True}
    ]
    territory = world.territories[0]
    assert data["territories"] == [
        {
            "id": territory.pk,
            "slug": territory.slug,
            "name": territory.name,
            "disposition": "frozen_on_contact_line",
            "note": "East",
        }
    ]
    # Each is a record of its own, in the change feed like any other.
    created = set(Change.objects.filter(id__gt=before, action="created").values_list("record_type", flat=True))
    assert created == {"provisions.provision", "provisions.lineage", "provisions.territorialdisposition"}
    assert data["id"] in api_derived_into(editor_api, world.old_points[0])


def api_derived_into(client, point: Provision) -> set[int]:
    return {link["id"] for link in client.get(url(point)).json()["derived_into"]}


def test_a_patch_replaces_the_links_keeps_omitted_details_and_records_only_what_changed(editor_api, world):
    point = world.new_points[0]  # derives from old_points[0] (reworded, 0.9)
    before = last_change_id()
    response = editor_api.patch(
        url(point),
        {"derives_from": [{"id": world.old_points[0].pk, "confirmed": False}, {"id": world.old_points[1].pk}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["derives_from"] == [
        {"id": world.old_points[0].pk, "relation": "reworded", "similarity": 0.9, "confirmed": False},
        {"id": world.old_points[1].pk, "relation": "reworded", "similarity": None, "confirmed": True},
    ]
    # One link changed, one added; the point itself did not change, so no history row for it.
    assert sorted(Change.objects.filter(id__gt=before).values_list("record_type", "action")) == [
        ("provisions.lineage", "created"),
        ("provisions.lineage", "updated"),
    ]
    # Sending the same again writes nothing.
    same = last_change_id()
    editor_api.patch(
        url(point),
        {"derives_from": [{"id": world.old_points[0].pk}, {"id": world.old_points[1].pk}]},
        format="json",
    )
    assert last_change_id() == same
    # An empty list removes every link, with a delete in the feed.
    assert editor_api.patch(url(point), {"derives_from": []}, format="json").json()["derives_from"] == []
    assert not Lineage.objects.filter(provision=point).exists()
    assert Change.objects.filter(id__gt=same, action="deleted").count() == 2


def test_territories_are_replaced_and_a_territory_may_take_two_dispositions(editor_api, world):
    point = world.new_points[0]
    donbas = world.territories[1]
    response = editor_api.patch(
        url(point),
        {
            "territories": [
                {"id": donbas.pk, "disposition": "demilitarized_zone", "note": "West of the line"},
                {"id": donbas.pk, "disposition": "recognized_russian_de_facto"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    held = TerritorialDisposition.objects.filter(provision=point).order_by("disposition")
    assert [(d.territory_id, d.disposition, d.note) for d in held] == [
        (donbas.pk, "demilitarized_zone", "West of the line"),
        (donbas.pk, "recognized_russian_de_facto", ""),
    ]
    # The disposition of territories[0] that the point had is gone.
    assert not TerritorialDisposition.objects.filter(provision=point, territory=world.territories[0]).exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"derives_from": [{"id": 999999}]}, "derives_from", "No point with id 999999."),
        ({"derives_from": [{"id": "x"}]}, "derives_from", "valid integer"),
        ({"derives_from": [{"id": 0, "relation": "cloned"}]}, "derives_from", "not a valid choice"),
        ({"derives_from": [{"id": 0, "similarity": 1.5}]}, "derives_from", "less than or equal to 1"),
        ({"derives_from": "nope"}, "derives_from", "list"),
        ({"territories": [{"id": 999999, "disposition": "demilitarized_zone"}]}, "territories", "No territory"),
        ({"territories": [{"id": 0, "disposition": "annexed"}]}, "territories", "not a valid choice"),
        ({"territories": [{"id": 0}]}, "territories", "required"),
        ({"derives_from": [{"relation": "split"}]}, "derives_from", "required"),
    ],
)
def test_bad_links_are_a_400_naming_the_field_and_change_nothing(editor_api, world, payload, field, message):
    point = world.new_points[0]
    for items in payload.values():
        for item in items if isinstance(items, list) else ():
            if item.get("id") == 0:
                item["id"] = world.old_points[1].pk if field == "derives_from" else world.territories[0].pk
    before = Change.objects.count()
    response = editor_api.patch(url(point), {"title": "Renamed", **payload}, format="json")
    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert Change.objects.count() == before
    point.refresh_from_db()
    assert point.title != "Renamed"


def test_a_link_the_model_refuses_rolls_back_the_whole_write(editor_api, world):
    point = world.old_points[0]
    before = Change.objects.count()
    # An earlier point cannot derive from a point of a later version; the title change goes too.
    response = editor_api.patch(
        url(point),
        {"title": "Renamed", "derives_from": [{"id": world.new_points[1].pk}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "derives_from" in response.json()
    assert Change.objects.count() == before
    point.refresh_from_db()
    assert point.title != "Renamed"


def test_the_same_earlier_point_twice_is_a_400(editor_api, world):
    earlier = world.old_points[1].pk
    response = editor_api.patch(
        url(world.new_points[0]), {"derives_from": [{"id": earlier}, {"id": earlier}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["derives_from"] == ["The same earlier point is listed twice."]


def test_writing_links_needs_the_link_permissions(editor_api, editor, world):
    from django.contrib.auth.models import Permission

    editor.user_permissions.set(Permission.objects.filter(codename__in=["change_provision", "view_provision"]))
    editor.groups.clear()
    editor = type(editor).objects.get(pk=editor.pk)  # fresh permission cache
    editor_api.force_authenticate(editor)
    point = world.new_points[0]
    assert editor_api.patch(url(point), {"title": "Renamed"}, format="json").status_code == 200
    response = editor_api.patch(url(point), {"derives_from": []}, format="json")
    assert response.status_code == 403
    assert "provisions.delete_lineage" in response.json()["detail"]
    assert Lineage.objects.filter(provision=point).exists()


def test_a_stale_if_match_on_a_links_write_gets_412(editor_api, world):
    point = world.new_points[0]
    etag = editor_api.get(url(point)).headers["ETag"]
    editor_api.patch(url(point), {"derives_from": []}, format="json", HTTP_IF_MATCH=etag)
    # The links changed the representation, so the old ETag is stale now.
    response = editor_api.patch(
        url(point), {"derives_from": [{"id": world.old_points[0].pk}]}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    assert not Lineage.objects.filter(provision=point).exists()


def test_a_new_point_whose_link_is_refused_is_not_created(editor_api, world):
    before = (Provision.objects.count(), Change.objects.count())
    response = editor_api.post(
        "/api/v1/provisions/",
        {
            "version": world.old.pk,
            "number": "31",
            "title": "Too early",
            "text": "Derives from a later version.",
            "topics": ["ceasefire"],
            "status": "proposed",
            "derives_from": [{"id": world.new_points[0].pk}],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "derives_from" in response.json()
    assert (Provision.objects.count(), Change.objects.count()) == before


# --- A territory's control observations -------------------------------------------------


def territory_url(territory) -> str:
    return f"/api/v1/territories/{territory.pk}/"


def test_a_patch_updates_adds_and_removes_observations(editor_api, world):
    territory = world.territories[0]
    older, newer = territory.control_observations.order_by("observed_on")
    before = last_change_id()
    response = editor_api.patch(
        territory_url(territory),
        {
            "observations": [
                {"id": newer.pk, "ukraine_share": "10.50", "russia_share": "89.50"},
                {"observed_on": "2025-11-22", "source": world.sources[2].pk, "russia_share": "90", "note": "ISW map"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    observations = response.json()["observations"]
    assert [(o["observed_on"], o["ukraine_share"], o["russia_share"]) for o in observations] == [
        ("2025-11-22", None, "90.00"),
        ("2025-11-15", "10.50", "89.50"),
    ]
    assert observations[1]["source"] == world.sources[1].pk  # left out, so kept
    assert sorted(Change.objects.filter(id__gt=before).values_list("action", flat=True)) == [
        "created",
        "deleted",
        "updated",
    ]
    assert not ControlObservation.objects.filter(pk=older.pk).exists()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"observed_on": "2025-11-22", "russia_share": "90"}, "required"),
        ({"observed_on": "2025-11-22", "source": 0, "ukraine_share": "60", "russia_share": "60"}, "100"),
        ({"observed_on": "2025-11-22", "source": 0}, "Give the share held by Ukraine, by Russia, or both."),
        ({"observed_on": "2025-11-22", "source": 0, "russia_share": "101"}, "100"),
        ({"id": 999999, "note": "x"}, "No observation 999999 on this territory."),
    ],
)
def test_bad_observations_are_a_400_and_change_nothing(editor_api, world, item, message):
    territory = world.territories[0]
    if item.get("source") == 0:
        item["source"] = world.sources[0].pk
    before = Change.objects.count()
    response = editor_api.patch(
        territory_url(territory), {"description": "Changed", "observations": [item]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in str(response.json()["observations"])
    assert Change.objects.count() == before
    territory.refresh_from_db()
    assert territory.description != "Changed"


def test_another_territorys_observation_cannot_be_moved_here(editor_api, world):
    theirs = world.territories[1].control_observations.first()
    response = editor_api.patch(
        territory_url(world.territories[0]), {"observations": [{"id": theirs.pk, "note": "mine now"}]}, format="json"
    )
    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.territory_id == world.territories[1].pk and theirs.note != "mine now"


def test_writing_observations_needs_their_permissions(editor_api, editor, world):
    from django.contrib.auth.models import Permission

    editor.groups.clear()
    editor.user_permissions.set(Permission.objects.filter(codename__in=["change_territory", "view_territory"]))
    editor = type(editor).objects.get(pk=editor.pk)
    editor_api.force_authenticate(editor)
    territory = world.territories[0]
    response = editor_api.patch(territory_url(territory), {"observations": []}, format="json")
    assert response.status_code == 403
    assert territory.control_observations.count() == 2
