"""As of an early date: plans on record without a version, territories by name, and which
date "as of" goes by (the day a change was recorded)."""

from __future__ import annotations

import datetime

import pytest

from provisions.models import Territory
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("as_of", [False, True], ids=["live", "as-of"])
def test_plans_on_record_without_a_version_are_listed_not_denied(client, db, as_of):
    PlanFactory(name="Peace framework under discussion")
    params = {"as_of": datetime.date.today().isoformat()} if as_of else {}
    body = html(client.get("/", params))
    assert "No plan on record yet" not in body
    assert "No version on record yet" in body
    assert "Peace framework under discussion" in body


def test_with_nothing_on_record_the_overview_says_so(client, db):
    body = html(client.get("/"))
    assert "No plan on record yet" in body and "Nothing has been recorded" in body


def test_as_of_a_day_when_only_territories_were_recorded_they_are_named_not_numbered(client, draft):
    response = client.get("/", {"as_of": "2025-08-01"})
    labels = [item.label for item in response.context["changes"] if item.change.record_type == "provisions.territory"]
    territories = set(Territory.objects.values_list("name", flat=True))
    assert labels, [item.label for item in response.context["changes"]]
    assert all(label.removeprefix("Territory: ") in territories for label in labels), labels
    assert "territory #" not in html(response)


@pytest.mark.parametrize("path", ["/", "/territories/", "/convergence/", "/timeline/"])
def test_every_page_says_as_of_goes_by_the_day_a_change_was_recorded(client, draft, path):
    assert "By the day each change was recorded" in html(client.get(path))
    banner = html(client.get(path, {"as_of": "2025-11-20"}))
    assert "going by the day each change was recorded (not the date of the stance or event it records)" in banner
