import datetime

import pytest
from django.utils import timezone

from actors.models import Position
from history.writing import save_recorded
from provisions.as_of import provisions_as_of
from provisions.models import ControlObservation, Provision, TerritorialDisposition, Territory
from tests.factories import ActorFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db


def on(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 11, day, 12, tzinfo=datetime.UTC)


@pytest.fixture
def story(db):
    """A point reworded on the 23rd; Ukraine opposed it on the 21st and supports it from the 24th."""
    source = SourceFactory()
    version = VersionFactory(dated=datetime.date(2025, 11, 20))
    point = save_recorded(
        Provision(version=version, number="21", title="Old title", text="Old text.", topics=["territory"]),
        recorded_at=on(20),
    )
    territory = save_recorded(Territory(name="Donetsk oblast", slug="donetsk"), recorded_at=on(19))
    save_recorded(
        TerritorialDisposition(provision=point, territory=territory, disposition="demilitarized_zone"),
        recorded_at=on(20),
    )
    ukraine = ActorFactory(slug="ukraine")
    opposed = save_recorded(
        Position(actor=ukraine, provision=point, version=version, stance="opposes", summary="No.", taken_on=on(21)),
        m2m={"sources": [source]},
        recorded_at=on(21),
    )
    point.title = "New title"
    save_recorded(point, recorded_at=on(23))
    supports = save_recorded(
        Position(actor=ukraine, provision=point, version=version, stance="supports", summary="Yes.", taken_on=on(24)),
        m2m={"sources": [source]},
        recorded_at=on(24),
    )
    save_recorded(
        ControlObservation(territory=territory, observed_on=on(25), ukraine_share=10, source=source),
        recorded_at=on(25),
    )
    return {"point": point, "opposed": opposed, "supports": supports, "territory": territory}


def test_provisions_as_of_a_day_show_the_text_and_stances_recorded_then(api, story):
    point = story["point"]
    then = api.get("/api/v1/provisions/", {"as_of": "2025-11-22"}).json()["results"]
    assert [(p["id"], p["title"]) for p in then] == [(point.pk, "Old title")]
    assert [(s["actor"]["slug"], s["stance"]) for s in then[0]["positions"]] == [("ukraine", "opposes")]
    assert then[0]["territories"][0]["slug"] == "donetsk"
    later = api.get(f"/api/v1/provisions/{point.pk}/", {"as_of": "2025-11-24"}).json()
    assert later["title"] == "New title"
    assert [s["stance"] for s in later["positions"]] == ["supports"]
    assert api.get("/api/v1/provisions/", {"as_of": "2025-11-19"}).json()["count"] == 0


def test_a_provision_that_did_not_exist_yet_is_a_404(api, story):
    response = api.get(f"/api/v1/provisions/{story['point'].pk}/", {"as_of": "2025-11-19"})
    assert response.status_code == 404 and "2025-11-19" in response.json()["detail"]


def test_filters_apply_to_the_past_record(api, story):
    params = {"as_of": "2025-11-22", "territory": "donetsk", "actor": "ukraine", "stance": "opposes"}
    assert api.get("/api/v1/provisions/", params).json()["count"] == 1
    params["stance"] = "supports"
    assert api.get("/api/v1/provisions/", params).json()["count"] == 0


def test_positions_as_of_a_day(api, story):
    then = api.get("/api/v1/positions/", {"as_of": "2025-11-22"}).json()["results"]
    assert [p["id"] for p in then] == [story["opposed"].pk]
    now = api.get("/api/v1/positions/", {"as_of": "2025-11-25", "current": "true"}).json()["results"]
    assert [p["id"] for p in now] == [story["supports"].pk]
    assert now[0]["sources"]


def test_territories_as_of_a_day_leave_out_later_observations(api, story):
    then = api.get(f"/api/v1/territories/{story['territory'].pk}/", {"as_of": "2025-11-22"}).json()
    assert then["observations"] == []
    later = api.get(f"/api/v1/territories/{story['territory'].pk}/", {"as_of": "2025-11-25"}).json()
    assert [o["ukraine_share"] for o in later["observations"]] == ["10.00"]


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "2999-01-01", "2025-11-22T10:00", "\x00"])
def test_a_malformed_or_future_as_of_is_a_400(api, story, value):
    for url in ("/api/v1/provisions/", "/api/v1/positions/", "/api/v1/territories/"):
        response = api.get(url, {"as_of": value})
        assert response.status_code == 400 and "as_of" in response.json(), (url, value)


def test_as_of_combines_with_search_over_the_past_text(api, story):
    point = story["point"]
    found = api.get("/api/v1/provisions/", {"as_of": "2025-11-22", "search": "OLD title"}).json()["results"]
    assert [p["id"] for p in found] == [point.pk]
    # The title then was "Old title": today's words do not match the past record.
    assert api.get("/api/v1/provisions/", {"as_of": "2025-11-22", "search": "new"}).json()["count"] == 0
    assert api.get("/api/v1/provisions/", {"as_of": "2025-11-24", "search": "new"}).json()["count"] == 1


def test_as_of_combines_with_ordering(api, story):
    params = {"as_of": "2025-11-25", "ordering": "taken_on"}
    ascending = [p["id"] for p in api.get("/api/v1/positions/", params).json()["results"]]
    assert ascending == [story["opposed"].pk, story["supports"].pk]
    descending = [p["id"] for p in api.get("/api/v1/positions/", {**params, "ordering": "-taken_on"}).json()["results"]]
    assert descending == [story["supports"].pk, story["opposed"].pk]


def test_as_of_orders_points_by_number_and_title(api, story):
    version = story["point"].version
    ten = save_recorded(Provision(version=version, number="10", title="A point", text="T.", topics=["territory"]))
    params = {"as_of": timezone.localdate().isoformat()}
    by_number = api.get("/api/v1/provisions/", {**params, "ordering": "-number"}).json()["results"]
    assert [p["number"] for p in by_number] == ["21", "10"]
    by_title = api.get("/api/v1/provisions/", {**params, "ordering": "title"}).json()["results"]
    assert [p["id"] for p in by_title] == [ten.pk, story["point"].pk]


def test_as_of_with_an_unknown_ordering_is_a_400_naming_ordering(api, story):
    response = api.get("/api/v1/territories/", {"as_of": "2025-11-22", "ordering": "colour"})
    assert response.status_code == 400 and "ordering" in response.json()


def test_as_of_plan_status_and_number_filters_narrow_the_points_read_from_history(api, story, monkeypatch):
    import provisions.api.views as api_views

    other = VersionFactory(dated=datetime.date(2025, 11, 20))
    save_recorded(Provision(version=other, number="1", title="Other", text="T.", topics=["territory"]))
    agreed = save_recorded(
        Provision(version=other, number="2", title="Other", text="T.", topics=["territory"], status="agreed")
    )
    read: list[int] = []

    def spy(*args, **kwargs):
        points = provisions_as_of(*args, **kwargs)
        read.append(len(points))
        return points

    monkeypatch.setattr(api_views, "provisions_as_of", spy)
    params = {"as_of": timezone.localdate().isoformat()}
    point = story["point"]
    for extra, expected in (
        ({"plan": point.version.plan_id}, point),
        ({"status": "agreed"}, agreed),
        ({"number": "2", "plan": other.plan_id}, agreed),
    ):
        found = api.get("/api/v1/provisions/", {**params, **extra}).json()["results"]
        assert [p["id"] for p in found] == [expected.pk], extra
    assert read == [1, 1, 1]
