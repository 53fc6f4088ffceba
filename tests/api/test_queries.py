"""Query counts do not grow with the data: each request runs under the same budget at two
sizes (the larger has three times the points, actors, positions, territories and events)."""

import pytest
from django.utils import timezone

from tests.api.conftest import build_world

pytestmark = pytest.mark.django_db

SIZES = [2, 6]

LISTS = {
    "plans": 2,
    "versions": 3,  # + sources
    # count, points, dispositions, two lineage directions, current stances, their actors, their sources (links, rows)
    "provisions": 10,  # + the point's own sources
    "territories": 3,
    "actors": 2,
    "positions": 3,
    "sources": 2,
    "events": 4,
    # The feed: changes, then one query per record type and tracked many-to-many field on the page.
    "changes": 1 + 13 + 5,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("resource", "budget"), LISTS.items())
def test_list_queries_are_constant(api, django_assert_max_num_queries, size, resource, budget):
    build_world(size)
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/", {"page_size": 500})
    assert response.status_code == 200
    assert response.json()["results"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("resource", "budget"), [("provisions", 12), ("positions", 4), ("territories", 3)])
def test_as_of_list_queries_are_constant(api, django_assert_max_num_queries, size, resource, budget):
    build_world(size)
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/", {"page_size": 500, "as_of": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= size


@pytest.mark.parametrize("size", SIZES)
def test_filtered_and_csv_provision_lists_are_constant(api, django_assert_max_num_queries, size):
    world = build_world(size)
    params = {"territory": world.territories[0].slug, "actor": world.actors[0].slug, "stance": "supports"}
    # The point predicate reads the territory tree and the counted stances once each.
    with django_assert_max_num_queries(14):
        assert api.get("/api/v1/provisions/", {**params, "search": "point"}).json()["count"] == 1
    # CSV: count, stance columns of the whole result, the page's values, lineage, dispositions, stances.
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/provisions/", {"format": "csv"}).status_code == 200


DETAILS = {
    "plans": ("plan", 1),
    "versions": ("old", 2),
    "provisions": ("new_points", 9),
    "territories": ("territories", 2),
    "actors": ("actors", 1),
    "positions": ("positions", 2),
    "sources": ("sources", 1),
    "events": ("events", 3),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("resource", "target", "budget"), [(r, t, b) for r, (t, b) in DETAILS.items()])
def test_detail_queries_are_constant(api, django_assert_max_num_queries, size, resource, target, budget):
    world = build_world(size)
    record = getattr(world, target)
    record = record[-1] if isinstance(record, list) else record
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/{record.pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_as_of_detail_queries_are_constant(api, django_assert_max_num_queries, size):
    world = build_world(size)
    with django_assert_max_num_queries(12):
        response = api.get(
            f"/api/v1/provisions/{world.new_points[-1].pk}/", {"as_of": timezone.localdate().isoformat()}
        )
    assert len(response.json()["positions"]) == size


@pytest.mark.parametrize("size", SIZES)
def test_compare_queries_are_constant(api, django_assert_max_num_queries, size):
    world = build_world(size)
    with django_assert_max_num_queries(7):
        response = api.get(f"/api/v1/versions/{world.old.pk}/compare/{world.new.pk}/")
    assert response.json()["counts"]["changed"] == size


@pytest.mark.parametrize("size", SIZES)
def test_a_page_of_the_change_feed_is_constant_whatever_its_length(api, django_assert_max_num_queries, size):
    build_world(size)
    for page_size in (10, 500):
        with django_assert_max_num_queries(LISTS["changes"]):
            assert api.get("/api/v1/changes/", {"page_size": page_size}).status_code == 200
