"""Pages that show one page of a long record read one page's worth, and show what reading
the whole record showed (the reference: the same selector with no practical limit)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from dashboard.record import Record
from dashboard.selectors.timeline import timeline, timeline_page
from history.records import end_of_day
from provisions.models import Source, Version

WHOLE = 10**6  # more entries than any record holds: every row is read, as before


def entries(items) -> list[tuple]:
    return [(e.kind, e.order, e.day, e.title, e.url, [s.pk for s in e.sources]) for e in items]


def records() -> list[Record]:
    return [Record(), Record(end_of_day(datetime.date(2025, 12, 1)))]


@pytest.mark.parametrize("limit", [1, 5, 12, 40])
def test_the_newest_entries_are_those_of_the_whole_timeline(demo_data, limit):
    for record in records():
        for party in [None, *Actor.objects.principal()]:
            whole = entries(timeline(record, party=party, limit=WHOLE))
            assert entries(timeline(record, party=party, limit=limit)) == whole[:limit], (record.moment, party)


def test_pages_of_the_timeline_cut_the_whole_timeline_in_order(demo_data):
    record = Record()
    whole = entries(timeline(record, limit=WHOLE))
    size = 7
    pages = [timeline_page(record, number=n, size=size) for n in range(1, -(-len(whole) // size) + 1)]
    assert [e for page in pages for e in entries(page.entries)] == whole
    assert [page.has_older for page in pages] == [True] * (len(pages) - 1) + [False]


def test_the_live_timeline_reads_no_more_rows_of_a_kind_than_it_shows(demo_data):
    """Each kind is read newest first with a LIMIT, not loaded whole and sorted in Python."""
    party = Actor.objects.get(short_code="UA")
    for who in (None, party):
        with CaptureQueriesContext(connection) as queries:
            timeline(Record(), party=who, limit=3)
        for table in ("actors_event", "actors_position", "actors_account"):
            reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]
            assert reads and all("LIMIT 3" in sql for sql in reads), (table, reads)


def test_the_overview_reads_only_the_events_it_shows(client, demo_data):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'FROM "actors_event"' in q["sql"]]
    assert reads and all("LIMIT 6" in sql for sql in reads), reads


def _fields(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.attname.endswith("d_at")
    }


def test_the_live_record_reads_its_actors_and_versions_in_one_query(demo_data, django_assert_num_queries):
    """Every page needs both (party names, the version picker): one read gives what the ORM gives."""
    Version.objects.create(plan=Version.objects.first().plan, label="No points yet", dated=datetime.date(2026, 1, 2))
    record = Record()
    # SQLite's one-off probe of its JSON support (once per connection, not per page) runs now.
    assert connection.features.supports_json_field
    with django_assert_num_queries(1):
        actors, versions = record.actors(), record.versions()
    expected_actors = Actor.objects.select_related("represents").in_bulk()
    assert list(actors) == list(expected_actors)
    for pk, actor in actors.items():
        assert _fields(actor) == _fields(expected_actors[pk])
        assert actor.represents == expected_actors[pk].represents
    expected = Version.objects.with_plan().latest_first().annotate(point_count=Count("provisions"))
    assert [v.pk for v in versions] == [v.pk for v in expected]
    for version, want in zip(versions, expected, strict=True):
        assert _fields(version) == _fields(want)
        assert _fields(version.plan) == _fields(want.plan)
        assert (version.proposed_by, version.revises, version.point_count) == (
            want.proposed_by,
            want.revises,
            want.point_count,
        )
        assert version.revises is None or version.revises.plan == want.revises.plan
    assert 0 in {v.point_count for v in versions}
    assert record.cut_off() == Source.objects.aggregate(latest=Max("published_on"))["latest"]
