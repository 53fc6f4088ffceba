"""Text search in web-search syntax ("phrases", `or`, `-word`), the same on SQLite (FTS5)
and PostgreSQL (websearch_to_tsquery). Run on both:

    python -m pytest tests/api/test_search.py -n 0
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_e python -m pytest tests/api/test_search.py -n 0
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from api.search_syntax import Term, parse
from provisions.models import Provision
from provisions.points import PointFilter
from tests.factories import ProvisionFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "phrase": ("Security guarantees", "The United States offers security guarantees to Ukraine."),
    "reversed": ("Guarantees", "Guarantees of European security, with a NATO role."),
    "ceasefire": ("Ceasefire", "A ceasefire along the line of contact."),
    "sanctions": ("Sanctions", "Sanctions are lifted in stages."),
    "nato": ("Alliance", "Ukraine does not join NATO."),
}

# query -> the points (by key) it finds: the same answer on every database.
EXPECTED = {
    '"security guarantees"': {"phrase"},
    "security guarantees": {"phrase", "reversed"},
    "ceasefire or sanctions": {"ceasefire", "sanctions"},
    "guarantees -nato": {"phrase"},
    'guarantees -"european security"': {"phrase"},
    "guarantee": {"phrase", "reversed"},  # stemmed: guarantee finds guarantees
    "ukraine sanctions or ceasefire": {"ceasefire"},  # (ukraine and sanctions) or ceasefire
    "-nato ceasefire": {"ceasefire"},
    "the": set(),  # only a common word: nothing to search for
}
# Input that is no valid query in FTS5 or tsquery syntax: answered, never a 500.
MALFORMED = ['"', "-", "or", "-or", '"unclosed security', "AND", "NEAR(a b)", "*", "col:x", "^x", "a:*", "!!!", "'"]


@pytest.fixture
def points(db) -> dict[str, Provision]:
    version = VersionFactory()
    return {
        key: ProvisionFactory(version=version, number=str(n), title=title, text=text)
        for n, (key, (title, text)) in enumerate(TEXTS.items(), start=1)
    }


def found(api, points, **params) -> set[str]:
    response = api.get("/api/v1/provisions/", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    by_id = {point.pk: key for key, point in points.items()}
    return {by_id[item["id"]] for item in response.json()["results"]}


@pytest.mark.parametrize(("query", "expected"), EXPECTED.items())
def test_q_reads_the_web_search_syntax(api, points, query, expected):
    assert found(api, points, q=query) == expected


@pytest.mark.parametrize(("query", "expected"), EXPECTED.items())
def test_search_on_points_is_the_same_rule_as_q(api, points, query, expected):
    assert found(api, points, search=query) == expected


@pytest.mark.parametrize(("query", "expected"), EXPECTED.items())
def test_points_in_memory_match_as_in_sql(points, query, expected):
    chosen = PointFilter(text=query)
    in_memory = {key for key, point in points.items() if chosen.matches(point)}
    in_sql = {key for key, point in points.items() if point in chosen.apply(Provision.objects.all())}
    assert in_memory == in_sql == expected


@pytest.mark.parametrize("query", ['"security guarantees"', "ceasefire or sanctions", "guarantees -nato"])
def test_the_dashboard_and_the_api_as_of_today_find_the_same_points(api, client, points, query):
    version = next(iter(points.values())).version
    page = client.get("/provisions/", {"version": version.pk, "q": query})
    on_dashboard = {row.point.pk for row in page.context["rows"]}
    as_of = found(api, points, q=query, as_of=timezone.localdate().isoformat())
    assert {points[key].pk for key in as_of} == on_dashboard == {points[key].pk for key in EXPECTED[query]}


@pytest.mark.parametrize("query", MALFORMED)
def test_a_malformed_query_is_answered_not_a_server_error(api, points, query):
    for params in ({"q": query}, {"search": query}):
        assert api.get("/api/v1/provisions/", params).status_code == 200
    assert api.get("/api/v1/sources/", {"search": query}).status_code == 200
    assert client_page_ok(api, query)


def client_page_ok(api, query) -> bool:
    return api.get("/provisions/", {"q": query}).status_code == 200


def test_the_index_follows_every_write(api, points):
    point = points["sanctions"]
    point.text = "Frozen assets fund reconstruction."
    point.save()
    assert found(api, points, q="sanctions") == {"sanctions"}  # the title still says it
    assert found(api, points, q="frozen assets") == {"sanctions"}
    Provision.objects.filter(pk=points["ceasefire"].pk).delete()
    assert found(api, points, q="ceasefire") == set()
    added = ProvisionFactory(version=point.version, number="9", title="Prisoner exchange", text="All for all.")
    assert found(api, {**points, "added": added}, q='"prisoner exchange"') == {"added"}


def test_other_lists_take_the_same_syntax(api, db):
    wanted = SourceFactory(title="Leaders discuss security guarantees in Paris")
    SourceFactory(title="Guarantees and security in Berlin")
    SourceFactory(title="Sanctions extended")
    response = api.get("/api/v1/sources/", {"search": '"security guarantees" or sanctions -extended'})
    assert [item["id"] for item in response.json()["results"]] == [wanted.pk]


def test_the_parser_reads_what_postgresql_reads():
    assert parse('a1 b2 or -"c3 d4"').alternatives == (
        (Term(("a1",)), Term(("b2",))),
        (Term(("c3", "d4"), excluded=True),),
    )
    assert parse("x1 - y1").alternatives == ((Term(("x1",)), Term(("y1",), excluded=True)),)
    assert parse("or x1 or or").alternatives == ((Term(("x1",)),),)
    assert parse("the of").alternatives == ()
