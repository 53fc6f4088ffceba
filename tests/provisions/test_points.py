"""The one point predicate (`provisions.points.PointFilter`): the SQL path (the API list),
the path over loaded rows (the API as of a date) and the dashboard's list agree."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.choices import Stance
from actors.models import Actor
from actors.stances import NO_STANCE
from dashboard.record import Record
from history.records import end_of_day
from provisions.as_of import provisions_as_of
from provisions.choices import Disposition, ProvisionStatus
from provisions.models import Provision, Territory
from provisions.points import PointFilter
from tests.factories import (
    ActorFactory,
    DispositionFactory,
    PositionFactory,
    ProvisionFactory,
    TerritoryFactory,
    VersionFactory,
)

WORDS = ["ceasefire", "nato", "troops", "sanctions", "elections", "donbas"]
TOPICS = ["territory", "security", "sanctions"]
STATUSES = [ProvisionStatus.PROPOSED, ProvisionStatus.DISPUTED, ProvisionStatus.AGREED]
DISPOSITIONS = [Disposition.DEMILITARIZED_ZONE, Disposition.RECOGNIZED_RUSSIAN_DE_FACTO]
STANCES = [Stance.SUPPORTS, Stance.OPPOSES, Stance.CONDITIONAL]
DAYS = [datetime.date(2025, 11, 18), datetime.date(2025, 11, 19), datetime.date(2025, 11, 20)]

point_spec = st.fixed_dictionaries(
    {
        "version": st.integers(0, 1),
        "topics": st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True),
        "status": st.sampled_from(STATUSES),
        "title": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
        "text": st.lists(st.sampled_from(WORDS), min_size=0, max_size=4).map(" ".join),
        "dispositions": st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from(DISPOSITIONS)), max_size=2, unique_by=lambda d: d[0]
        ),
    }
)
# (actor index, point index, stance, day): actors 0-2 are parties (0 and 1 principal), 3 and 4
# people speaking for parties 0 and 1.
position_spec = st.tuples(st.integers(0, 4), st.integers(0, 5), st.sampled_from(STANCES), st.sampled_from(DAYS))
filter_spec = st.fixed_dictionaries(
    {
        "version": st.none() | st.integers(0, 1),
        "topic": st.none() | st.sampled_from(TOPICS),
        "status": st.none() | st.sampled_from(STATUSES),
        "territory": st.none() | st.integers(0, 3),
        "disposition": st.none() | st.sampled_from(DISPOSITIONS),
        "party": st.none() | st.integers(0, 4),
        "stance": st.none() | st.sampled_from([*STANCES, NO_STANCE]),
        "text": st.none() | st.lists(st.sampled_from([*WORDS, "NATO", "fire"]), min_size=1, max_size=2).map(" ".join),
    }
)


def build(points: list[dict], positions: list[tuple]) -> dict:
    versions = [VersionFactory(label="First"), VersionFactory(label="Second")]
    region = TerritoryFactory(slug="region")
    territories = [region, TerritoryFactory(parent=region), TerritoryFactory(parent=region), TerritoryFactory()]
    parties = [
        ActorFactory(is_principal=True, matrix_order=1),
        ActorFactory(is_principal=True, matrix_order=2),
        ActorFactory(is_principal=False),
    ]
    actors = [
        *parties,
        ActorFactory(kind="person", represents=parties[0]),
        ActorFactory(kind="person", represents=parties[1]),
    ]
    made = []
    for number, spec in enumerate(points, start=1):
        point = ProvisionFactory(
            version=versions[spec["version"]],
            number=str(number),
            title=spec["title"],
            text=spec["text"] or "-",
            topics=spec["topics"],
            status=spec["status"],
        )
        for index, disposition in spec["dispositions"]:
            DispositionFactory(provision=point, territory=territories[index], disposition=disposition)
        made.append(point)
    for actor, index, stance, day in positions:
        if index < len(made):
            PositionFactory(actor=actors[actor], provision=made[index], stance=stance, taken_on=day)
    return {"versions": versions, "territories": territories, "actors": actors}


def point_filter(world: dict, spec: dict) -> PointFilter:
    pick = {"version": world["versions"], "territory": world["territories"], "party": world["actors"]}
    values = {
        name: (pick[name][value] if name in pick and value is not None else value) for name, value in spec.items()
    }
    return PointFilter(**{name: value for name, value in values.items() if value is not None})


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(point_spec, min_size=1, max_size=6),
    positions=st.lists(position_spec, max_size=14),
    filters=st.lists(filter_spec, min_size=1, max_size=4),
)
def test_the_sql_path_the_as_of_path_and_the_dashboard_return_the_same_points(points, positions, filters):
    with transaction.atomic():
        world = build(points, positions)
        loaded = provisions_as_of(end_of_day(timezone.localdate()))
        record = Record()
        dashboard = {version.pk: record.points(version) for version in world["versions"]}
        for spec in filters:
            chosen = point_filter(world, spec)
            in_sql = set(chosen.apply(Provision.objects.all()).values_list("pk", flat=True))
            from_history = {point.pk for point in loaded if chosen.matches(point)}
            assert in_sql == from_history, spec
            for version, rows in dashboard.items():
                on_page = {point.pk for point in rows if chosen.matches(point)}
                assert on_page == {pk for pk in in_sql if pk in {p.pk for p in rows}}, (spec, version)
        transaction.set_rollback(True)


def test_donbas_lists_the_same_points_on_the_dashboard_and_in_the_api(client, demo_data):
    draft = demo_data.versions["us-28-point-draft"]
    donbas = Territory.objects.get(slug="donbas")
    page = client.get("/provisions/", {"version": draft.pk, "territory": "donbas"})
    on_dashboard = [row.point.pk for row in page.context["rows"]]
    api = client.get("/api/v1/provisions/", {"version": draft.pk, "territory": "donbas", "page_size": 100}).json()
    assert on_dashboard and [point["id"] for point in api["results"]] == on_dashboard
    # By id too, and with the parts of Donbas (Donetsk, Luhansk) counted.
    by_id = client.get("/api/v1/provisions/", {"version": draft.pk, "territory": donbas.pk}).json()
    assert by_id["count"] == len(on_dashboard)


def test_the_dashboard_takes_a_party_by_slug_as_the_api_does(client, demo_data):
    ukraine = Actor.objects.get(short_code="UA")
    by_slug = client.get("/provisions/", {"party": ukraine.slug, "stance": "opposes"})
    by_id = client.get("/provisions/", {"party": ukraine.pk, "stance": "opposes"})
    assert by_slug.status_code == 200
    assert [r.point.pk for r in by_slug.context["rows"]] == [r.point.pk for r in by_id.context["rows"]]


@pytest.mark.parametrize("value", ["¹", "٣", "1.5", "-1"])
def test_a_non_ascii_or_malformed_version_is_a_400_not_a_500(client, demo_data, value):
    assert client.get("/", {"version": value}).status_code == 400
