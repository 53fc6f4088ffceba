"""The source page: how many records of each kind cite a source, and one page of each."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard.selectors.sources import CITATIONS_PER_PAGE
from tests.factories import ActorFactory, EventFactory, PositionFactory, ProvisionFactory, SourceFactory

pytestmark = pytest.mark.django_db

TODAY = {"as_of": datetime.date.today().isoformat()}
FIRST_DAY = datetime.date(2025, 11, 20)


def cite(source, stances: int, *, start: int = 0) -> list:
    """`stances` stances citing `source`, one a day from FIRST_DAY (+ `start` days), on one point."""
    point = ProvisionFactory()
    actor = ActorFactory()
    return [
        PositionFactory(
            actor=actor, provision=point, taken_on=FIRST_DAY + datetime.timedelta(days=start + n), sources=[source]
        )
        for n in range(stances)
    ]


def page(client, source, **params):
    response = client.get(reverse("provisions:source_detail", args=[source.pk]), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("params", [{}, TODAY], ids=["live", "as-of"])
def test_a_much_cited_source_shows_the_count_and_the_newest_page_of_stances(client, params):
    source = SourceFactory()
    stances = cite(source, CITATIONS_PER_PAGE + 5)
    EventFactory(sources=[source])
    response = page(client, source, **params)
    citations = response.context["citations"]
    newest_first = sorted(stances, key=lambda p: (p.taken_on, p.pk), reverse=True)
    assert [p.pk for p in citations.positions] == [p.pk for p in newest_first[:CITATIONS_PER_PAGE]]
    assert citations.counts == {"positions": 55, "events": 1, "observations": 0, "accounts": 0, "versions": 0}
    body = response.content.decode()
    assert "Stances citing it (55)" in body and "Events citing it (1)" in body
    assert "page=2" in body and "Older →" in body and "← Newer" not in body


@pytest.mark.parametrize("params", [{}, TODAY], ids=["live", "as-of"])
def test_the_next_page_shows_the_older_stances_and_links_back(client, params):
    source = SourceFactory()
    stances = cite(source, CITATIONS_PER_PAGE + 5)
    response = page(client, source, page="2", **params)
    citations = response.context["citations"]
    oldest = sorted(stances, key=lambda p: (p.taken_on, p.pk), reverse=True)[CITATIONS_PER_PAGE:]
    assert [p.pk for p in citations.positions] == [p.pk for p in oldest]
    assert citations.counts["positions"] == 55  # counted in all, not on this page
    body = response.content.decode()
    assert "← Newer" in body and "Older →" not in body and "These are the oldest." in body
    # Past the last page: nothing listed, the counts still said.
    beyond = page(client, source, page="3", **params).context["citations"]
    assert (beyond.positions, beyond.counts["positions"]) == ([], 55)


def test_a_small_source_has_no_pager(client):
    source = SourceFactory()
    cite(source, 3)
    body = page(client, source).content.decode()
    assert "Stances citing it (3)" in body and 'class="pager"' not in body


def test_a_bad_page_number_is_a_400(client):
    source = SourceFactory()
    url = reverse("provisions:source_detail", args=[source.pk])
    assert client.get(url, {"page": "0"}).status_code == 400
    assert client.get(url, {"page": str(10**17)}).status_code == 400  # more rows to skip than SQL can count


def test_as_of_a_date_a_stance_counts_only_if_it_cited_the_source_then(client):
    source, other = SourceFactory(), SourceFactory()
    kept, moved = cite(source, 2)
    moved.sources.set([other])  # its current state no longer cites the source
    citations = page(client, source, **TODAY).context["citations"]
    assert ([p.pk for p in citations.positions], citations.counts["positions"]) == ([kept.pk], 1)
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    assert page(client, source, as_of=yesterday).context["citations"].counts["positions"] == 0  # recorded today


@pytest.mark.parametrize("params", [{}, TODAY], ids=["live", "as-of"])
@pytest.mark.parametrize("number", ["1", "2"])
def test_the_source_page_runs_the_same_queries_however_often_the_source_is_cited(
    client, params, number, django_assert_max_num_queries
):
    source = SourceFactory()
    cite(source, CITATIONS_PER_PAGE + 5)
    EventFactory(sources=[source])  # a kind no record cites is not read at all: give each size one
    with CaptureQueriesContext(connection) as small:
        page(client, source, page=number, **params)
    cite(source, 4 * CITATIONS_PER_PAGE, start=100)
    EventFactory.create_batch(3, sources=[source])
    with django_assert_max_num_queries(len(small)):
        response = page(client, source, page=number, **params)
    assert len(response.context["citations"].positions) == CITATIONS_PER_PAGE
