import csv
import io
import re

import pytest
from django.utils import timezone

from actors.choices import Stance
from api.renderers import flatten
from tests.factories import ActorFactory, PlanFactory, PositionFactory, ProvisionFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db

LISTS = ["plans", "versions", "provisions", "territories", "actors", "positions", "sources", "events", "changes"]


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("resource", LISTS)
def test_every_list_has_a_flat_csv_with_one_row_per_item(api, world, resource):
    rows = read_csv(api.get(f"/api/v1/{resource}/", {"format": "csv", "page_size": 500}))
    as_json = api.get(f"/api/v1/{resource}/", {"page_size": 500}).json()["results"]
    assert [row["id"] for row in rows] == [str(item["id"]) for item in as_json]
    assert all(not value.startswith(("{", "[")) for row in rows for value in row.values())


def test_csv_downloads_with_a_file_name_and_an_excel_friendly_bom(api, world):
    response = api.get("/api/v1/provisions/", {"format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="provisions.csv"'
    assert response.content.startswith("\ufeff".encode())


def test_provisions_csv_has_a_stance_column_per_actor(api, world):
    rows = read_csv(api.get("/api/v1/provisions/", {"format": "csv", "version": world.new.pk}))
    labels = [actor.short_code for actor in world.actors]
    assert all(row[f"stance.{label}"] == "supports" for row in rows for label in labels)
    assert rows[0]["topics"] == "territory; sovereignty"
    assert rows[0]["territories"].endswith(": demilitarized_zone")


def test_csv_defaults_to_the_largest_page(api, world):
    assert len(read_csv(api.get("/api/v1/positions/", {"format": "csv"}))) == len(world.positions)


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(api, world):
    SourceFactory(title='=HYPERLINK("http://evil.example","click")')
    rows = read_csv(api.get("/api/v1/sources/", {"format": "csv"}))
    assert any(row["title"].startswith("'=HYPERLINK") for row in rows)


def test_flatten_nests_objects_into_dotted_columns():
    assert flatten({"a": {"b": 1, "c": None}, "d": [1, 2], "e": True}) == {
        "a.b": 1,
        "a.c": "",
        "d": "1; 2",
        "e": "true",
    }


def test_a_bad_request_in_csv_still_names_the_problem(api, world):
    response = api.get("/api/v1/provisions/", {"format": "csv", "status": "maybe"})
    assert response.status_code == 400
    assert "status" in response.content.decode("utf-8-sig")


def test_a_csv_page_says_how_many_rows_match_and_links_the_next_page(api, world):
    response = api.get("/api/v1/positions/", {"format": "csv", "page_size": 5})
    assert len(read_csv(response)) == 5
    assert response["X-Total-Count"] == str(len(world.positions))
    link = response["Link"]
    assert link.startswith("<http") and link.endswith('>; rel="next"')
    next_url = link[1 : link.index(">")]
    assert "page=2" in next_url and "format=csv" in next_url
    following = api.get(next_url)
    assert len(read_csv(following)) == 5 and 'rel="prev"' in following["Link"]


def test_the_last_csv_page_has_no_next_link(api, world):
    response = api.get("/api/v1/provisions/", {"format": "csv"})
    assert response["X-Total-Count"] == "6"
    assert "Link" not in response


def test_the_change_feed_csv_links_the_next_page_only_while_more_follow(api, world):
    first = api.get("/api/v1/changes/", {"format": "csv", "page_size": 2})
    assert 'rel="next"' in first["Link"] and "after=" in first["Link"]
    last = api.get("/api/v1/changes/", {"format": "csv", "page_size": 500, "after": 0})
    assert "Link" not in last


def test_a_formula_in_the_first_item_of_a_joined_list_is_quoted(api, world):
    territory = world.territories[0]
    territory.name = '=HYPERLINK("http://evil.example","click")'
    territory.save()
    rows = read_csv(api.get("/api/v1/provisions/", {"format": "csv", "version": world.new.pk}))
    cells = [row["territories"] for row in rows if "HYPERLINK" in row["territories"]]
    assert cells and all(cell.startswith("'=HYPERLINK") for cell in cells)


def test_flatten_quotes_a_joined_list_that_starts_like_a_formula():
    assert flatten({"tags": ["=1+1", "fine"]}) == {"tags": "'=1+1; fine"}
    assert flatten({"tags": ["fine", "=1+1"]}) == {"tags": "fine; =1+1"}


def csv_header(response) -> list[str]:
    assert response.status_code == 200, response.content
    return next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def parties_on_some_points(db):
    """Four principal parties (the US and Ukraine with stances on some points only, Russia
    and the EU with none) and an outside actor whose one stance is on the last point."""
    version = VersionFactory(label="28-point draft")
    points = [ProvisionFactory(version=version, number=str(n), title=f"Point {n}") for n in range(1, 7)]
    us, ua, _russia, _eu = (
        ActorFactory(name=name, slug=slug, short_code=code, is_principal=True, matrix_order=order)
        for order, (name, slug, code) in enumerate(
            [
                ("United States", "united-states", "US"),
                ("Ukraine", "ukraine", "UA"),
                ("Russia", "russia", "RU"),
                ("European Union", "eu", "EU"),
            ]
        )
    )
    turkey = ActorFactory(name="Turkey", slug="turkey", short_code="TR", is_principal=False)
    for point in points[:2]:
        PositionFactory(actor=us, provision=point, stance=Stance.SUPPORTS)
    for point in points[1:5]:
        PositionFactory(actor=ua, provision=point, stance=Stance.OPPOSES)
    PositionFactory(actor=turkey, provision=points[5], stance=Stance.CONDITIONAL)
    return version


def test_provisions_csv_pages_share_one_header_with_every_principal_party_then_other_actors(
    api, parties_on_some_points
):
    version = parties_on_some_points
    pages = [
        api.get("/api/v1/provisions/", {"format": "csv", "version": version.pk, "page_size": 2, "page": n})
        for n in (1, 2, 3)
    ]
    headers = [csv_header(page) for page in pages]
    assert headers[0] == headers[1] == headers[2]
    stance_columns = [name for name in headers[0] if name.startswith("stance.")]
    assert stance_columns == ["stance.US", "stance.UA", "stance.RU", "stance.EU", "stance.TR"]
    assert headers[0][-1] == "updated_at"
    rows = [row for page in pages for row in read_csv(page)]
    assert [row["stance.UA"] for row in rows] == ["", "opposes", "opposes", "opposes", "opposes", ""]
    assert [row["stance.TR"] for row in rows] == ["", "", "", "", "", "conditional"]
    assert all(row["stance.RU"] == row["stance.EU"] == "" for row in rows)


def test_a_write_gives_the_next_csv_page_its_new_column_and_count(api, parties_on_some_points):
    """Columns and count are cached per query until the next write (`api.concurrency.until_next_write`)."""
    version = parties_on_some_points
    params = {"format": "csv", "version": version.pk, "page_size": 2}
    first = api.get("/api/v1/provisions/", params)
    assert "stance.PL" not in csv_header(first) and first["X-Total-Count"] == "6"
    poland = ActorFactory(name="Poland", slug="poland", short_code="PL", is_principal=False)
    PositionFactory(actor=poland, provision=ProvisionFactory(version=version, number="7"), stance=Stance.SUPPORTS)
    second = api.get("/api/v1/provisions/", {**params, "page": 2})
    assert "stance.PL" in csv_header(second) and second["X-Total-Count"] == "7"


def test_an_actor_with_stances_only_outside_the_filter_gets_no_column(api, parties_on_some_points):
    version = parties_on_some_points
    response = api.get("/api/v1/provisions/", {"format": "csv", "number": "1", "version": version.pk})
    stance_columns = [name for name in csv_header(response) if name.startswith("stance.")]
    assert stance_columns == ["stance.US", "stance.UA", "stance.RU", "stance.EU"]


def test_the_csv_file_name_names_the_filter_and_the_page(api, parties_on_some_points):
    version = parties_on_some_points
    response = api.get(
        "/api/v1/provisions/",
        {"format": "csv", "version": version.pk, "actor": "ukraine", "page_size": 1, "page": 2},
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="provisions-version-28-point-draft-actor-ukraine-page-2.csv"'
    )


def test_a_csv_file_name_keeps_only_safe_characters(api, world):
    response = api.get("/api/v1/sources/", {"format": "csv", "search": 'a"b/../c\r\nd é'})
    name = response["Content-Disposition"].removeprefix('attachment; filename="').removesuffix('"')
    assert re.fullmatch(r"[a-z0-9-]+\.csv", name), name
    assert name.startswith("sources-search-")


@pytest.mark.parametrize("resource", LISTS)
def test_every_csv_list_has_the_same_columns_on_every_page(api, world, resource):
    PlanFactory()  # a second plan, so plans have a second page too
    first = api.get(f"/api/v1/{resource}/", {"format": "csv", "page_size": 1})
    link = first["Link"]
    following = api.get(link[1 : link.index(">")])
    assert csv_header(first) == csv_header(following)


def test_the_csv_of_today_reads_the_same_live_and_from_history(api, parties_on_some_points):
    version = parties_on_some_points
    params = {"format": "csv", "version": version.pk, "page_size": 4}
    live = api.get("/api/v1/provisions/", params)
    from_history = api.get("/api/v1/provisions/", {**params, "as_of": timezone.localdate().isoformat()})
    assert live.content == from_history.content


def test_change_feed_csv_pages_of_different_record_types_share_one_header(api, world):
    entries = api.get("/api/v1/changes/", {"page_size": 500}).json()["results"]
    first_of_type = {entry["record_type"]: entry["id"] for entry in reversed(entries)}
    assert len(first_of_type) > 2
    headers = {
        record_type: csv_header(api.get("/api/v1/changes/", {"format": "csv", "page_size": 1, "after": cursor - 1}))
        for record_type, cursor in first_of_type.items()
    }
    assert len({tuple(header) for header in headers.values()}) == 1
    assert {"data.title", "data.stance", "data.name"} <= set(headers["actors.position"])


def test_detail_and_compare_csv_files_are_named_after_the_records(api, world):
    point = world.new_points[0]
    detail = api.get(f"/api/v1/provisions/{point.pk}/", {"format": "csv"})
    assert detail["Content-Disposition"] == f'attachment; filename="provisions-{point.pk}.csv"'
    compare = api.get(f"/api/v1/versions/{world.old.pk}/compare/{world.new.pk}/", {"format": "csv"})
    assert compare["Content-Disposition"] == (
        f'attachment; filename="versions-{world.old.pk}-compare-{world.new.pk}.csv"'
    )
