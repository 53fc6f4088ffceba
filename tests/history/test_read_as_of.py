"""`history.records.read_as_of`: several record types as of a moment, and what a read can ask for."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count, OuterRef, Subquery

from history.records import AsOfRead, end_of_day, latest_rows, read_as_of
from history.writing import save_recorded
from provisions.models import Provision, Version
from tests.factories import ProvisionFactory, VersionFactory

pytestmark = pytest.mark.django_db

THEN = end_of_day(datetime.date(2025, 11, 22))


def recorded(instance, day: int):
    return save_recorded(instance, recorded_at=end_of_day(datetime.date(2025, 11, day)))


def test_along_reads_a_foreign_key_target_as_it_stood_then_and_none_when_not_yet_on_record():
    version = recorded(VersionFactory.build(plan=VersionFactory().plan, label="Draft as leaked"), 20)
    point = recorded(ProvisionFactory.build(version=version), 21)
    version.label = "Draft as revised"
    recorded(version, 24)
    # A version that says it revises one recorded only after the moment.
    answered = recorded(VersionFactory.build(plan=version.plan), 24)
    revision = recorded(VersionFactory.build(plan=version.plan, revises=answered), 21)

    snapshot = read_as_of(
        THEN,
        {"points": AsOfRead(Provision, along=("version",)), "versions": AsOfRead(Version, along=("revises",))},
    )

    assert [row.version.label for row in snapshot.rows["points"] if row.pk == point.pk] == ["Draft as leaked"]
    assert [row.revises for row in snapshot.rows["versions"] if row.pk == revision.pk] == [None]


def test_limit_and_offset_read_one_page_of_the_newest():
    version = recorded(VersionFactory.build(plan=VersionFactory().plan), 20)
    points = [recorded(ProvisionFactory.build(version=version), 21) for _ in range(5)]

    read = AsOfRead(Provision, newest=("id",), limit=2, offset=1)
    rows = read_as_of(THEN, {"points": read}).rows["points"]

    assert sorted(row.pk for row in rows) == [points[2].pk, points[3].pk]  # the 2nd and 3rd newest


def test_extra_columns_are_computed_in_the_same_query_over_other_as_of_rows(django_assert_num_queries):
    version = recorded(VersionFactory.build(plan=VersionFactory().plan), 20)
    for day in (21, 21, 24):  # the third point comes after the moment
        recorded(ProvisionFactory.build(version=version), day)
    count = latest_rows(Provision, THEN).filter(version_id=OuterRef("id")).values("version_id")
    count = count.annotate(n=Count("id")).values("n")

    with django_assert_num_queries(1):  # nothing named: no second query
        snapshot = read_as_of(THEN, {"versions": AsOfRead(Version, extra={"point_count": Subquery(count)})})

    counts = {row.pk: row.point_count for row in snapshot.rows["versions"]}
    assert counts[version.pk] == 2
