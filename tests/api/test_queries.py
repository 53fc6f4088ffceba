"""Query counts do not grow with the data: each request runs under the same budget at two
sizes (the larger has three times the points, actors, positions, territories and events)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import World, build_world
from tests.conftest import SharedLoad, shared_load

pytestmark = pytest.mark.django_db

SIZES = [2, 6]


@pytest.fixture(autouse=True)
def _json_support_probed(db):
    """SQLite probes its JSON support once per connection (three statements): done before any
    count, so a budget does not depend on which test happens to run first."""
    assert connection.features.supports_json_field


# Each world is built once per module (and xdist worker) and shared: these tests only read it,
# or write inside their own savepoint (see `tests.conftest.SharedLoad`). The sizes are
# module-scoped parameters, so pytest runs every test of one size before the other's.
@pytest.fixture(scope="module")
def _world_of_size_in_module(size, _shared_loads, django_db_blocker) -> SharedLoad:
    return shared_load(django_db_blocker, ("world", size), lambda: build_world(size))


@pytest.fixture
def world_of_size(request, _world_of_size_in_module, size, db) -> World:
    """A copy of `build_world(size)`."""
    return _world_of_size_in_module.copy_for(request, lambda: build_world(size))


@pytest.fixture(scope="module")
def _world_of_six_in_module(_shared_loads, django_db_blocker) -> SharedLoad:
    return shared_load(django_db_blocker, ("world", 6), lambda: build_world(6))


@pytest.fixture
def world_of_six(request, _world_of_six_in_module, db) -> World:
    """A copy of `build_world(6)`: the same load as size 6's, when its tests ran just before."""
    return _world_of_six_in_module.copy_for(request, lambda: build_world(6))


LISTS = {
    "plans": 2,
    "versions": 3,  # + sources
    # count, the page's ids, then the page's points with everything nested, as JSON (`provisions.api.listing`)
    "provisions": 3,
    "territories": 3,
    "actors": 2,
    "positions": 3,
    "sources": 2,
    "events": 4,
    # The feed: changes, then one query per record type and tracked many-to-many field on the page.
    "changes": 1 + 13 + 5,
}


@pytest.mark.parametrize("size", SIZES, scope="module")
@pytest.mark.parametrize(("resource", "budget"), LISTS.items())
def test_list_queries_are_constant(api, django_assert_max_num_queries, size, resource, budget, world_of_size):
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/", {"page_size": 500})
    assert response.status_code == 200
    assert response.json()["results"]


@pytest.mark.parametrize("size", SIZES, scope="module")
# provisions: the count and the page's ids read from history in SQL, then the page's points rebuilt.
@pytest.mark.parametrize(("resource", "budget"), [("provisions", 10), ("positions", 2), ("territories", 2)])
def test_as_of_list_queries_are_constant(api, django_assert_max_num_queries, size, resource, budget, world_of_size):
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/", {"page_size": 500, "as_of": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= size


@pytest.mark.parametrize("size", SIZES, scope="module")
def test_filtered_and_csv_provision_lists_are_constant(api, django_assert_max_num_queries, size, world_of_size):
    world = world_of_size
    params = {"territory": world.territories[0].slug, "actor": world.actors[0].slug, "stance": "supports"}
    # The point predicate reads the territory tree and the counted stances once each.
    with django_assert_max_num_queries(14):
        assert api.get("/api/v1/provisions/", {**params, "search": "point"}).json()["count"] == 1
    # CSV: the change log's latest entry, the stance columns and count of the whole result, the
    # page's ids, the page's points (`listing`); until the next write, columns and count are cached.
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/provisions/", {"format": "csv"}).status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/provisions/", {"format": "csv", "page": 1}).status_code == 200


# Each detail also reads the change log's latest entry once, for its ETag (`api.concurrency`);
# a point reads it in its one query.
DETAILS = {
    "plans": ("plan", 2),
    "versions": ("old", 3),
    "provisions": ("new_points", 1),
    "territories": ("territories", 3),
    "actors": ("actors", 2),
    "positions": ("positions", 3),
    "sources": ("sources", 2),
    "events": ("events", 4),
}


@pytest.mark.parametrize("size", SIZES, scope="module")
@pytest.mark.parametrize(("resource", "target", "budget"), [(r, t, b) for r, (t, b) in DETAILS.items()])
def test_detail_queries_are_constant(api, django_assert_max_num_queries, size, resource, target, budget, world_of_size):
    record = getattr(world_of_size, target)
    record = record[-1] if isinstance(record, list) else record
    with django_assert_max_num_queries(budget):
        response = api.get(f"/api/v1/{resource}/{record.pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES, scope="module")
@pytest.mark.parametrize(("resource", "target"), [(r, t) for r, (t, _) in DETAILS.items()])
def test_a_304_reads_only_the_change_log(api, django_assert_max_num_queries, size, resource, target, world_of_size):
    """If-None-Match with the current tag is answered before the representation is built."""
    record = getattr(world_of_size, target)
    record = record[-1] if isinstance(record, list) else record
    etag = api.get(f"/api/v1/{resource}/{record.pk}/").headers["ETag"]
    with django_assert_max_num_queries(1):
        response = api.get(f"/api/v1/{resource}/{record.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.headers["ETag"] == etag


def test_a_write_anywhere_ends_the_cached_304(api, world_with_stance):
    """The cached tag is keyed by the latest recorded write: after a stance on the point
    changes, the old tag gets the new representation (200) and the new tag its 304."""
    point, position = world_with_stance
    url = f"/api/v1/provisions/{point.pk}/"
    before = api.get(url).headers["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=before).status_code == 304
    position.summary = "Now with conditions."
    position.save()
    response = api.get(url, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and response.headers["ETag"] != before
    assert api.get(url, HTTP_IF_NONE_MATCH=response.headers["ETag"]).status_code == 304


@pytest.fixture
def world_with_stance():
    from actors.models import Position

    world = build_world(2)
    point = world.new_points[0]
    return point, Position.objects.filter(provision=point).first()


@pytest.mark.parametrize("size", SIZES, scope="module")
def test_as_of_detail_queries_are_constant(api, django_assert_max_num_queries, size, world_of_size):
    world = world_of_size
    with django_assert_max_num_queries(6):
        response = api.get(
            f"/api/v1/provisions/{world.new_points[-1].pk}/", {"as_of": timezone.localdate().isoformat()}
        )
    assert len(response.json()["positions"]) == size


@pytest.mark.parametrize("size", SIZES, scope="module")
def test_compare_queries_are_constant(api, django_assert_max_num_queries, size, world_of_size):
    world = world_of_size
    with django_assert_max_num_queries(7):
        response = api.get(f"/api/v1/versions/{world.old.pk}/compare/{world.new.pk}/")
    assert response.json()["counts"]["changed"] == size


@pytest.mark.parametrize("size", SIZES, scope="module")
def test_a_page_of_the_change_feed_is_constant_whatever_its_length(
    api, django_assert_max_num_queries, size, world_of_size
):
    for page_size in (10, 500):
        with django_assert_max_num_queries(LISTS["changes"]):
            assert api.get("/api/v1/changes/", {"page_size": page_size}).status_code == 200


def test_the_as_of_list_pages_in_sql_and_rebuilds_only_the_page(api, world_of_six):
    """Paged in SQL: the pages, put together, are the record as of that day in point order,
    each point as the whole list (rebuilt from history in Python) shows it."""
    world = world_of_six
    day = timezone.localdate().isoformat()
    pages, url = [], "/api/v1/provisions/"
    params = {"as_of": day, "page_size": 5}
    while url:
        body = api.get(url, params).json()
        pages.append(body["results"])
        url, params = body["next"], {}
    assert [len(page) for page in pages] == [5, 5, 2]
    paged = [point for page in pages for point in page]
    expected = [p.pk for p in sorted([*world.old_points, *world.new_points], key=lambda p: (p.version_id, p.sort_key))]
    assert [point["id"] for point in paged] == expected
    # `ordering` sorts in Python, over every point rebuilt: the same points, the same content.
    whole = api.get("/api/v1/provisions/", {"as_of": day, "page_size": 500, "ordering": "id"}).json()["results"]
    assert sorted(paged, key=lambda point: point["id"]) == whole


def test_the_as_of_list_reads_one_page_of_points_from_history(api, world_of_six):
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/provisions/", {"as_of": timezone.localdate().isoformat(), "page_size": 3})
    reads = [q["sql"] for q in queries if 'FROM "provisions_historicalprovision"' in q["sql"]]
    assert any("LIMIT 3" in sql for sql in reads), reads


@pytest.mark.parametrize("size", SIZES, scope="module")
def test_the_list_and_the_detail_show_every_point_as_the_serializer_does(api, size, world_of_size):
    """The live list and detail read plain rows (`provisions.api.listing`); the serializer
    (writes, CSV, as of a date, the write side's ETag) builds instances. Every field of every
    point agrees, stances and their sources included, and so does the ETag."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api.concurrency import etag_for
    from provisions.api.serializers import ProvisionSerializer
    from provisions.api.views import api_provisions, attach_stance_details

    world = world_of_size
    world.new_points[0].sources.set(world.sources[:2])
    points = list(api_provisions())
    attach_stance_details(points)
    context = {"request": Request(APIRequestFactory().get("/api/v1/provisions/"))}
    expected = [dict(ProvisionSerializer(point, context=context).data) for point in points]
    listed = api.get("/api/v1/provisions/", {"page_size": 500}).json()["results"]
    assert sum(len(point["positions"]) for point in listed) >= size * size
    assert listed == expected
    for point in expected:
        detail = api.get(f"/api/v1/provisions/{point['id']}/")
        assert detail.json() == point
        assert detail.headers["ETag"] == etag_for(point, host_dependent=("url",))
