import pytest

from actors.models import Event
from bench.stress import replay_changes
from history.feed import change_payload, feed_entries
from history.models import Change
from provisions.models import Provision
from provisions.services import provisions_set_status

pytestmark = pytest.mark.django_db


def replay(api, page_size: int = 7) -> tuple[dict[tuple[str, int], dict], list[int]]:
    """What a consumer does: poll from the start, apply every entry in order."""
    return replay_changes(
        lambda cursor: api.get("/api/v1/changes/", {"after": cursor, "page_size": page_size}).json(),
        most_pages=10_000,
    )


def listed(api, resource: str) -> dict[int, dict]:
    items: dict[int, dict] = {}
    url = f"/api/v1/{resource}/?page_size=500"
    while url:
        body = api.get(url).json()
        items.update({item["id"]: item for item in body["results"]})
        url = body["next"]
    return items


def of_type(store: dict, record_type: str) -> dict[int, dict]:
    return {pk: data for (kind, pk), data in store.items() if kind == record_type}


def edit_after_loading(editor_api, world) -> None:
    """Updates, creations, m2m changes, cascading and bulk writes, as editors make them."""
    point = world.new_points[0]
    editor_api.patch(f"/api/v1/provisions/{point.pk}/", {"title": "Reworded title"}, format="json")
    editor_api.patch(f"/api/v1/versions/{world.old.pk}/", {"sources": [world.sources[2].pk]}, format="json")
    editor_api.post(
        "/api/v1/positions/",
        {
            "actor": world.actors[0].pk,
            "provision": world.new_points[1].pk,
            "stance": "mixed",
            "summary": "Reconsidering.",
            "taken_on": "2025-11-30",
            "sources": [world.sources[0].pk],
        },
        format="json",
    )
    # Deleting a point cascades to its positions, dispositions and lineage links.
    assert editor_api.delete(f"/api/v1/provisions/{world.new_points[2].pk}/").status_code == 204
    assert editor_api.delete(f"/api/v1/events/{world.events[0].pk}/").status_code == 204
    provisions_set_status(provisions=Provision.objects.filter(version=world.old), status="dropped")


def test_replaying_the_feed_rebuilds_exactly_what_the_api_lists(api, editor_api, world):
    edit_after_loading(editor_api, world)
    store, seen = replay(api)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == Change.objects.count()

    flat = {
        "plans": "provisions.plan",
        "versions": "provisions.version",
        "sources": "provisions.source",
        "actors": "actors.actor",
        "positions": "actors.position",
        "events": "actors.event",
    }
    for resource, record_type in flat.items():
        assert listed(api, resource) == of_type(store, record_type), resource

    observations = of_type(store, "provisions.controlobservation")
    for pk, territory in listed(api, "territories").items():
        observed = territory.pop("observations")
        assert territory == of_type(store, "provisions.territory")[pk]
        mine = [o for o in observations.values() if o["territory"] == pk]
        expected = sorted(mine, key=lambda o: (o["observed_on"], o["id"]), reverse=True)
        assert observed == [{k: v for k, v in o.items() if k in observed[0]} for o in expected]

    provisions = listed(api, "provisions")
    assert set(provisions) == set(of_type(store, "provisions.provision"))
    assert all(p["status"] == "dropped" for p in provisions.values() if p["version"] == world.old.pk)
    for pk, item in provisions.items():
        assert_provision_matches_replay(item, store, pk)


def assert_provision_matches_replay(item: dict, store: dict, pk: int) -> None:
    own = of_type(store, "provisions.provision")[pk]
    assert {key: item[key] for key in own} == own
    assert item["plan"] == of_type(store, "provisions.version")[own["version"]]["plan"]
    links = of_type(store, "provisions.lineage").values()
    link = ("relation", "similarity", "confirmed")
    assert item["derives_from"] == [
        {"id": lk["derives_from"], **{k: lk[k] for k in link}}
        for lk in sorted(links, key=lambda lk: lk["derives_from"])
        if lk["provision"] == pk
    ]
    assert item["derived_into"] == [
        {"id": lk["provision"], **{k: lk[k] for k in link}}
        for lk in sorted(links, key=lambda lk: lk["provision"])
        if lk["derives_from"] == pk
    ]
    territories = of_type(store, "provisions.territory")
    dispositions = [d for d in of_type(store, "provisions.territorialdisposition").values() if d["provision"] == pk]
    assert sorted((t["id"], t["disposition"]) for t in item["territories"]) == sorted(
        (d["territory"], d["disposition"]) for d in dispositions
    )
    assert {t["slug"] for t in item["territories"]} == {territories[d["territory"]]["slug"] for d in dispositions}
    latest: dict[int, dict] = {}
    for position in of_type(store, "actors.position").values():
        if position["provision"] != pk:
            continue
        held = latest.get(position["actor"])
        if held is None or (position["taken_on"], position["id"]) > (held["taken_on"], held["id"]):
            latest[position["actor"]] = position
    fields = ("id", "stance", "summary", "taken_on", "attributed_to")
    shown = [
        {k: p[k] for k in fields} | {"actor": p["actor"]["id"], "sources": sorted(s["id"] for s in p["sources"])}
        for p in item["positions"]
    ]
    expected = [{k: p[k] for k in fields} | {"actor": p["actor"], "sources": p["sources"]} for p in latest.values()]
    assert sorted(shown, key=lambda p: p["id"]) == sorted(expected, key=lambda p: p["id"])


def test_entries_carry_type_id_action_time_fields_and_state(api, editor_api, world):
    cursor = Change.objects.order_by("-id").first().id
    point = world.new_points[0]
    editor_api.patch(f"/api/v1/provisions/{point.pk}/", {"title": "Reworded"}, format="json")
    editor_api.delete(f"/api/v1/events/{world.events[0].pk}/")
    entries = api.get("/api/v1/changes/", {"after": cursor}).json()["results"]
    update = next(e for e in entries if e["record_type"] == "provisions.provision")
    assert update["record_id"] == point.pk and update["action"] == "updated"
    assert update["changed_fields"] == ["title"]
    assert update["changed_at"].endswith("Z")
    assert update["data"]["title"] == "Reworded" and "sort_key" not in update["data"]
    deletion = next(e for e in entries if e["record_type"] == "actors.event")
    assert deletion == deletion | {"record_id": world.events[0].pk, "action": "deleted", "data": None}


def test_the_cursor_pages_through_without_gaps_or_repeats(api, world):
    first = api.get("/api/v1/changes/", {"page_size": 5}).json()
    assert len(first["results"]) == 5 and first["has_more"]
    assert first["next_cursor"] == str(first["results"][-1]["id"])
    assert f"after={first['next_cursor']}" in first["next"]
    second = api.get("/api/v1/changes/", {"after": first["next_cursor"], "page_size": 5}).json()
    assert second["results"][0]["id"] == Change.objects.filter(id__gt=first["results"][-1]["id"]).first().id


def test_at_the_end_the_cursor_stays_put(api, world):
    last = Change.objects.order_by("-id").first().id
    body = api.get("/api/v1/changes/", {"after": last}).json()
    assert body == body | {"results": [], "has_more": False, "next_cursor": str(last)}


def test_a_record_type_filter_keeps_the_cursor_moving(api, world):
    body = api.get("/api/v1/changes/", {"record_type": "actors.event", "page_size": 500}).json()
    assert {e["record_type"] for e in body["results"]} == {"actors.event"}
    assert body["next_cursor"] == str(Change.objects.order_by("-id").first().id)


@pytest.mark.parametrize(
    "params",
    [
        {"after": "abc"},
        {"after": "-1"},
        {"after": "1.5"},
        {"after": "9" * 30},
        {"after": "\x00"},
        {"page_size": "0"},
        {"page_size": "100000"},
        {"record_type": "provisions.nothing"},
        {"record_type": "not-a-type"},
    ],
)
def test_malformed_cursors_and_parameters_are_a_400(api, world, params):
    response = api.get("/api/v1/changes/", params)
    assert response.status_code == 400
    assert set(params) & set(response.json())


def test_the_batch_helper_matches_the_single_entry_shape(world):
    changes = list(Change.objects.order_by("id")[:20])
    entries = feed_entries(changes)
    assert [e["id"] for e in entries] == [c.id for c in changes]
    for change, entry in zip(changes, entries, strict=True):
        assert change_payload(change, entry["data"]) == entry


def test_deleted_rows_replay_as_removed(api, editor_api, world):
    event = Event.objects.first()
    editor_api.delete(f"/api/v1/events/{event.pk}/")
    store, _ = replay(api, page_size=500)
    assert ("actors.event", event.pk) not in store
