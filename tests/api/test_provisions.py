import datetime

import pytest

from actors.choices import Stance
from provisions.choices import ProvisionStatus
from tests.factories import LineageFactory, PositionFactory, ProvisionFactory

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_28_points_of_the_demo_draft_list_with_each_partys_stance(api, demo_data):
    points = results(api.get("/api/v1/provisions/", {"version": demo_data.versions["us-28-point-draft"].pk}))
    assert [p["number"] for p in points] == [str(n) for n in range(1, 29)]
    point_21 = next(p for p in points if p["number"] == "21")
    stances = {p["actor"]["slug"]: p["stance"] for p in point_21["positions"]}
    assert stances["ukraine"] == "opposes"
    assert set(stances.values()) <= set(Stance.values)


def test_a_provision_carries_every_documented_field(api, world):
    point = world.new_points[0]
    data = api.get(f"/api/v1/provisions/{point.pk}/").json()
    assert set(data) >= {
        "id",
        "version",
        "number",
        "title",
        "text",
        "topics",
        "status",
        "derives_from",
        "derived_into",
        "territories",
        "positions",
        "updated_at",
        "url",
    }
    assert data["url"] == f"http://testserver/provisions/{point.pk}/"
    assert data["plan"] == world.plan.pk
    assert data["topics"] == ["territory", "sovereignty"]
    assert data["derives_from"] == [
        {"id": world.old_points[0].pk, "relation": "reworded", "similarity": 0.9, "confirmed": True}
    ]
    assert data["territories"][0]["id"] == world.territories[0].pk
    assert data["territories"][0]["disposition"] == "demilitarized_zone"


def test_derived_into_lists_the_later_points(api, world):
    data = api.get(f"/api/v1/provisions/{world.old_points[1].pk}/").json()
    assert [link["id"] for link in data["derived_into"]] == [world.new_points[1].pk]


def test_an_unconfirmed_proposed_link_says_so(api, world):
    later = ProvisionFactory(version=world.new, number="99")
    LineageFactory(provision=later, derives_from=world.old_points[2], confirmed=False, similarity=0.42)
    data = api.get(f"/api/v1/provisions/{later.pk}/").json()
    assert data["derives_from"] == [
        {"id": world.old_points[2].pk, "relation": "reworded", "similarity": 0.42, "confirmed": False}
    ]


def test_a_links_similarity_keeps_every_digit_in_the_list_and_the_detail(api, world):
    """Built as JSON by the database: SQLite's JSON writes 15 significant digits unless told."""
    later = ProvisionFactory(version=world.new, number="98")
    LineageFactory(provision=later, derives_from=world.old_points[2], similarity=6 / 7)
    listed = api.get("/api/v1/provisions/", {"version": world.new.pk, "number": "98"}).json()["results"]
    detail = api.get(f"/api/v1/provisions/{later.pk}/").json()
    assert listed[0]["derives_from"][0]["similarity"] == detail["derives_from"][0]["similarity"] == 6 / 7


def test_positions_show_only_each_actors_latest_stance(api, world):
    data = api.get(f"/api/v1/provisions/{world.new_points[0].pk}/").json()
    assert len(data["positions"]) == len(world.actors)
    assert {p["stance"] for p in data["positions"]} == {"supports"}
    first = data["positions"][0]
    assert set(first) == {"id", "actor", "stance", "summary", "taken_on", "attributed_to", "sources"}
    assert {s["id"] for s in first["sources"]} == {world.sources[1].pk, world.sources[2].pk}


def test_every_point_of_a_list_carries_its_own_url_actors_and_current_sources(api, world):
    # The list builds URLs once per page and attaches actors and sources per page:
    # each point must still get its own, and earlier stances' sources must not leak in.
    points = results(api.get("/api/v1/provisions/", {"version": world.new.pk, "page_size": 500}))
    assert {p["id"] for p in points} == {p.pk for p in world.new_points}
    actors = {a.pk: a for a in world.actors}
    for point in points:
        assert point["url"] == f"http://testserver/provisions/{point['id']}/"
        assert sorted(p["actor"]["id"] for p in point["positions"]) == sorted(actors)
        for stance in point["positions"]:
            actor = actors[stance["actor"]["id"]]
            assert stance["actor"] == {
                "id": actor.pk,
                "slug": actor.slug,
                "name": actor.name,
                "short_code": actor.short_code,
            }
            assert {s["id"] for s in stance["sources"]} == {world.sources[1].pk, world.sources[2].pk}


def test_filter_by_territory_accepts_its_id_or_its_slug(api, world):
    territory = world.territories[1]
    by_id = results(api.get("/api/v1/provisions/", {"territory": territory.pk}))
    by_slug = results(api.get("/api/v1/provisions/", {"territory": territory.slug}))
    assert [p["id"] for p in by_id] == [p["id"] for p in by_slug] == [world.new_points[1].pk]


def test_an_unknown_territory_is_a_400_naming_the_filter(api, world):
    response = api.get("/api/v1/provisions/", {"territory": "atlantis"})
    assert response.status_code == 400
    assert "territory" in response.json()


def test_filter_by_actor_and_stance_uses_the_current_stance(api, world):
    actor = world.actors[0]
    # Every actor opposed first and supports now: "opposes" must match nothing.
    assert results(api.get("/api/v1/provisions/", {"actor": actor.slug, "stance": "opposes"})) == []
    supported = results(api.get("/api/v1/provisions/", {"actor": actor.pk, "stance": "supports"}))
    assert {p["id"] for p in supported} == {p.pk for p in world.new_points}


def test_filter_by_stance_alone_and_actor_alone(api, world):
    PositionFactory(
        actor=world.actors[1], provision=world.new_points[2], stance="mixed", taken_on=datetime.date(2025, 11, 29)
    )
    assert [p["id"] for p in results(api.get("/api/v1/provisions/", {"stance": "mixed"}))] == [world.new_points[2].pk]
    assert len(results(api.get("/api/v1/provisions/", {"actor": world.actors[1].slug}))) == len(world.new_points)


def test_filters_by_plan_version_topic_status_and_number(api, world):
    world.new_points[0].status = ProvisionStatus.AGREED
    world.new_points[0].save()
    assert len(results(api.get("/api/v1/provisions/", {"plan": world.plan.pk}))) == 6
    assert len(results(api.get("/api/v1/provisions/", {"version": world.old.pk}))) == 3
    assert len(results(api.get("/api/v1/provisions/", {"topic": "territory"}))) == 3
    assert [p["id"] for p in results(api.get("/api/v1/provisions/", {"status": "agreed"}))] == [world.new_points[0].pk]
    numbered = results(api.get("/api/v1/provisions/", {"version": world.new.pk, "number": "3"}))
    assert [p["id"] for p in numbered] == [world.new_points[0].pk]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "maybe"},
        {"topic": "weather"},
        {"plan": "999999"},
        {"version": "x"},
        {"stance": "loves"},
        {"actor": "nobody"},
        {"ordering": "colour"},
        {"page_size": "501"},
        {"page_size": "0"},
        {"page_size": "lots"},
        {"page": "first"},
        {"search": "nul\x00byte"},
    ],
)
def test_bad_query_values_are_a_400_naming_the_parameter(api, world, params):
    response = api.get("/api/v1/provisions/", params)
    assert response.status_code == 400
    assert set(params) & set(response.json()), response.json()


def test_a_page_past_the_end_is_a_404_with_a_json_body(api, world):
    response = api.get("/api/v1/provisions/", {"page": 99})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_page_size_up_to_500_and_pagination_links(api, world):
    body = api.get("/api/v1/provisions/", {"page_size": 4}).json()
    assert body["count"] == 6 and len(body["results"]) == 4 and "page=2" in body["next"]
    assert len(api.get("/api/v1/provisions/", {"page_size": 500}).json()["results"]) == 6


def test_search_matches_words_of_titles_and_texts(api, world):
    ProvisionFactory(
        version=world.new, number="50", title="Frozen assets", text="Frozen Russian assets fund rebuilding."
    )
    found = results(api.get("/api/v1/provisions/", {"search": "russian assets"}))
    assert [p["title"] for p in found] == ["Frozen assets"]
    assert results(api.get("/api/v1/provisions/", {"search": "submarine"})) == []


def test_ordering_by_number_descending_and_by_title(api, world):
    numbers = [
        p["number"] for p in results(api.get("/api/v1/provisions/", {"version": world.new.pk, "ordering": "-number"}))
    ]
    assert numbers == ["3", "2", "1"]
    titles = [
        p["title"] for p in results(api.get("/api/v1/provisions/", {"version": world.old.pk, "ordering": "title"}))
    ]
    assert titles == sorted(titles)


def test_page_last_gives_the_last_page(api, world):
    body = api.get("/api/v1/provisions/", {"page_size": 4, "page": "last"}).json()
    assert len(body["results"]) == 2 and body["next"] is None and body["previous"] is not None
    assert [p["id"] for p in body["results"]] == [
        p["id"] for p in results(api.get("/api/v1/provisions/", {"page_size": 4, "page": 2}))
    ]


def test_page_last_of_an_empty_list_is_an_empty_first_page(api, world):
    body = api.get("/api/v1/provisions/", {"number": "99", "page": "last"}).json()
    assert body["count"] == 0 and body["results"] == []


@pytest.mark.parametrize("resource", ["provisions", "positions", "changes"])
def test_an_unknown_format_is_a_400_naming_format(api, world, resource):
    response = api.get(f"/api/v1/{resource}/", {"format": "xml"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "format" in response.json() and "csv" in response.json()["format"][0]


def test_an_unknown_format_on_a_detail_is_a_400_too(api, world):
    response = api.get(f"/api/v1/provisions/{world.new_points[0].pk}/", {"format": "xml"})
    assert response.status_code == 400 and "format" in response.json()
