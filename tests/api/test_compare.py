import csv
import datetime
import io

import pytest

from tests.factories import LineageFactory, PlanFactory, ProvisionFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(db):
    """Point 21 of the first draft became point 14 of the second, reworded; 20 carried over;
    22 dropped; 30 is new."""
    plan = PlanFactory()
    first = VersionFactory(plan=plan, label="28 points", dated=datetime.date(2025, 11, 20))
    second = VersionFactory(plan=plan, label="19 points", dated=datetime.date(2025, 11, 30), revises=first)
    old = {
        n: ProvisionFactory(version=first, number=n, title=f"Point {n}", text=text)
        for n, text in [
            ("20", "Tolerance programmes in schools."),
            ("21", "Crimea, Luhansk and Donetsk recognised as Russian de facto."),
            ("22", "No change by force."),
        ]
    }
    new = {
        "20": ProvisionFactory(version=second, number="20", title="Point 20", text="Tolerance programmes in schools."),
        "14": ProvisionFactory(
            version=second, number="14", title="Point 21", text="Crimea and Luhansk recognised as Russian de facto."
        ),
        "30": ProvisionFactory(version=second, number="30", title="Point 30", text="A brand new point."),
    }
    LineageFactory(provision=new["20"], derives_from=old["20"], relation="carried")
    LineageFactory(provision=new["14"], derives_from=old["21"])
    return {"first": first, "second": second, "old": old, "new": new}


def numbers(changes: list[dict], side: str) -> list[str]:
    if side == "old":
        return [p["number"] for change in changes for p in change["old"]]
    return [change["new"]["number"] for change in changes]


def test_compare_follows_lineage_not_numbers(api, drafts):
    response = api.get(f"/api/v1/versions/{drafts['first'].pk}/compare/{drafts['second'].pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1, "unknown": 0}
    assert numbers(body["added"], "new") == ["30"]
    assert numbers(body["removed"], "old") == ["22"]
    assert numbers(body["unchanged"], "new") == ["20"]
    renumbered = body["changed"][0]
    assert (renumbered["old"][0]["number"], renumbered["new"]["number"]) == ("21", "14")
    assert "number" in renumbered["changed_fields"] and "text" in renumbered["changed_fields"]
    deleted = "".join(s["text"] for s in renumbered["diff"] if s["op"] == "delete")
    assert "Donetsk" in deleted
    assert {s["op"] for s in renumbered["diff"]} >= {"equal", "delete"}


def test_compare_puts_the_earlier_version_first_whatever_the_order(api, drafts):
    forward = api.get(f"/api/v1/versions/{drafts['first'].pk}/compare/{drafts['second'].pk}/").json()
    backward = api.get(f"/api/v1/versions/{drafts['second'].pk}/compare/{drafts['first'].pk}/").json()
    assert forward == backward
    assert forward["old_version"]["id"] == drafts["first"].pk


def test_compare_with_itself_is_a_400_and_unknown_versions_a_404(api, drafts):
    first = drafts["first"].pk
    assert api.get(f"/api/v1/versions/{first}/compare/{first}/").status_code == 400
    for other in ("999999", "abc", "9" * 40):
        response = api.get(f"/api/v1/versions/{first}/compare/{other}/")
        assert response.status_code == 404 and "detail" in response.json()
    assert api.get(f"/api/v1/versions/999999/compare/{first}/").status_code == 404


def test_compare_as_csv_gives_a_row_per_point_with_a_marked_diff(api, drafts):
    response = api.get(f"/api/v1/versions/{drafts['first'].pk}/compare/{drafts['second'].pk}/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["kind"] for row in rows] == ["added", "removed", "changed", "unchanged"]
    assert "[-" in rows[2]["diff"] and rows[2]["old_numbers"] == "21" and rows[2]["new_number"] == "14"


def test_a_point_whose_wording_was_not_reported_is_unknown_not_unchanged_added_or_removed(api, drafts):
    """A linked point with no reported wording is "unknown"; an unmatched old point whose number an
    unreported, unlinked new point carries may live on in it, so it is "unknown" too, not "removed"."""
    carried = drafts["new"]["20"]
    carried.text, carried.text_basis = "", "not_reported"
    carried.save()
    ProvisionFactory(version=drafts["second"], number="22", title="Point 22", text="", text_basis="not_reported")

    body = api.get(f"/api/v1/versions/{drafts['first'].pk}/compare/{drafts['second'].pk}/").json()

    assert body["counts"] == {"added": 1, "removed": 0, "changed": 1, "unchanged": 0, "unknown": 3}
    assert sorted(numbers([c for c in body["unknown"] if c["new"]], "new")) == ["20", "22"]
    assert [p["number"] for c in body["unknown"] if not c["new"] for p in c["old"]] == ["22"]
    assert all(change["diff"] == [] for change in body["unknown"])
