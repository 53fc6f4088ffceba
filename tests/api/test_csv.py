import csv
import io

import pytest

from api.renderers import flatten
from tests.factories import SourceFactory

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
