import datetime

import pytest

from tests.factories import ActorFactory, EventFactory, PositionFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db

RESOURCES = ["plans", "versions", "provisions", "territories", "actors", "positions", "sources", "events"]


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_root_lists_every_resource_the_feed_the_schema_and_the_docs(api):
    body = api.get("/api/v1/").json()
    assert set(body) >= {*RESOURCES, "changes", "schema", "docs"}
    assert body["provisions"] == "http://testserver/api/v1/provisions/"


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_has_a_list_and_a_detail_for_anyone(api, world, resource):
    items = results(api.get(f"/api/v1/{resource}/"))
    assert items, resource
    detail = api.get(f"/api/v1/{resource}/{items[0]['id']}/")
    assert detail.status_code == 200
    assert detail.json() == items[0]


@pytest.mark.parametrize("resource", RESOURCES)
def test_an_unknown_id_is_a_json_404(api, db, resource):
    for missing in ("999999", "abc", "99999999999999999999999"):
        response = api.get(f"/api/v1/{resource}/{missing}/")
        assert response.status_code == 404, (resource, missing)
        assert "detail" in response.json()


def test_versions_filter_by_plan(api, world):
    VersionFactory()  # another plan's version
    versions = results(api.get("/api/v1/versions/", {"plan": world.plan.pk}))
    assert [v["id"] for v in versions] == [world.new.pk, world.old.pk]
    assert versions[1]["sources"] == sorted(s.pk for s in world.sources[:2])


def test_positions_filter_by_actor_provision_version_and_stance(api, world):
    actor, point = world.actors[0], world.new_points[0]
    by_actor = results(api.get("/api/v1/positions/", {"actor": actor.slug, "page_size": 500}))
    assert {p["actor"] for p in by_actor} == {actor.pk} and len(by_actor) == 2 * len(world.new_points)
    on_point = results(api.get("/api/v1/positions/", {"provision": point.pk, "page_size": 500}))
    assert len(on_point) == 2 * len(world.actors)
    assert len(results(api.get("/api/v1/positions/", {"version": world.old.pk}))) == 0
    opposing = results(api.get("/api/v1/positions/", {"stance": "opposes", "page_size": 500}))
    assert {p["stance"] for p in opposing} == {"opposes"}


def test_positions_filter_by_date_range_and_current(api, world):
    early = results(api.get("/api/v1/positions/", {"taken_on_before": "2025-11-25", "page_size": 500}))
    assert {p["taken_on"] for p in early} == {"2025-11-21"}
    late = results(api.get("/api/v1/positions/", {"taken_on_after": "2025-11-25", "page_size": 500}))
    assert {p["taken_on"] for p in late} == {"2025-11-28"}
    current = results(api.get("/api/v1/positions/", {"current": "true", "page_size": 500}))
    assert {p["stance"] for p in current} == {"supports"}
    # "current" is decided before the stance filter: no current stance opposes.
    assert results(api.get("/api/v1/positions/", {"current": "true", "stance": "opposes"})) == []
    response = api.get("/api/v1/positions/", {"taken_on_after": "2025-02-30"})
    assert response.status_code == 400 and "taken_on" in str(response.json())


def test_events_filter_by_date_range_and_actor(api, world):
    loner = EventFactory(occurred_on=datetime.date(2025, 10, 1), actors=[world.actors[-1]])
    in_october = results(api.get("/api/v1/events/", {"occurred_on_before": "2025-10-31"}))
    assert [e["id"] for e in in_october] == [loner.pk]
    with_actor = results(api.get("/api/v1/events/", {"actor": world.actors[-1].slug}))
    assert loner.pk in {e["id"] for e in with_actor}
    assert all(world.actors[-1].pk in e["actors"] for e in with_actor)


def test_positions_list_latest_first_and_can_be_reordered(api, world):
    PositionFactory(actor=world.actors[0], provision=world.new_points[0], taken_on=datetime.date(2025, 11, 2))
    dates = [p["taken_on"] for p in results(api.get("/api/v1/positions/", {"page_size": 500}))]
    assert dates == sorted(dates, reverse=True)
    ascending = [p["taken_on"] for p in results(api.get("/api/v1/positions/", {"ordering": "taken_on"}))]
    assert ascending[0] == "2025-11-02"


def test_territories_carry_their_control_observations_newest_first(api, world):
    territory = results(api.get("/api/v1/territories/"))[0]
    assert [o["observed_on"] for o in territory["observations"]] == ["2025-11-15", "2025-11-01"]
    assert territory["observations"][0]["ukraine_share"] == "12.00"


def test_cors_is_off_by_default(api, world):
    response = api.get("/api/v1/provisions/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response.headers


BOOLEAN_FILTERS = [("positions", "current"), ("actors", "is_principal")]


@pytest.mark.parametrize(("resource", "param"), BOOLEAN_FILTERS)
@pytest.mark.parametrize("value", ["maybe", "yes", "2", "truthy"])
def test_a_boolean_filter_refuses_anything_but_true_or_false(api, world, resource, param, value):
    response = api.get(f"/api/v1/{resource}/", {param: value})
    assert response.status_code == 400
    assert param in response.json(), response.json()


@pytest.mark.parametrize(("resource", "param"), BOOLEAN_FILTERS)
def test_a_boolean_filter_takes_true_false_1_and_0(api, world, resource, param):
    ActorFactory(is_principal=False)
    counts = {value: api.get(f"/api/v1/{resource}/", {param: value}).json()["count"] for value in ("true", "1")}
    falses = {value: api.get(f"/api/v1/{resource}/", {param: value}).json()["count"] for value in ("False", "0")}
    assert len(set(counts.values())) == 1 and len(set(falses.values())) == 1
    everything = api.get(f"/api/v1/{resource}/").json()["count"]
    assert counts["true"] + falses["0"] == everything and counts["true"] > 0 and falses["0"] > 0


def test_is_principal_false_lists_only_the_other_actors(api, world):
    other = ActorFactory(is_principal=False)
    assert [a["id"] for a in results(api.get("/api/v1/actors/", {"is_principal": "false"}))] == [other.pk]


@pytest.mark.parametrize(
    ("resource", "param"),
    [
        ("positions", "taken_on_after"),
        ("positions", "taken_on_before"),
        ("sources", "published_after"),
        ("sources", "published_before"),
        ("events", "occurred_on_after"),
        ("events", "occurred_on_before"),
    ],
)
def test_a_malformed_date_bound_is_a_400_naming_the_parameter_sent(api, world, resource, param):
    response = api.get(f"/api/v1/{resource}/", {param: "2025-02-30"})
    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_sources_filter_by_publication_dates(api, world):
    early = SourceFactory(published_on=datetime.date(2024, 1, 5))
    SourceFactory(published_on=datetime.date(2025, 6, 1))
    found = results(api.get("/api/v1/sources/", {"published_after": "2024-01-05", "published_before": "2024-01-05"}))
    assert [s["id"] for s in found] == [early.pk]
