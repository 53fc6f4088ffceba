"""Query parameters: an unknown one is a 400 naming it and the valid ones, on every
endpoint; every parameter the schema documents is accepted."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def endpoints(world) -> list[str]:
    point = world.new_points[0]
    today = timezone.localdate().isoformat()
    return [
        "/api/v1/plans/",
        f"/api/v1/plans/{world.plan.pk}/",
        "/api/v1/versions/",
        f"/api/v1/versions/{world.new.pk}/",
        f"/api/v1/versions/{world.old.pk}/compare/{world.new.pk}/",
        "/api/v1/provisions/",
        f"/api/v1/provisions/?as_of={today}",
        f"/api/v1/provisions/{point.pk}/",
        f"/api/v1/provisions/{point.pk}/?as_of={today}",
        "/api/v1/territories/",
        f"/api/v1/territories/{world.territories[0].pk}/",
        "/api/v1/actors/",
        f"/api/v1/actors/{world.actors[0].pk}/",
        "/api/v1/positions/",
        f"/api/v1/positions/?as_of={today}",
        f"/api/v1/positions/{world.positions[0].pk}/",
        "/api/v1/sources/",
        f"/api/v1/sources/{world.sources[0].pk}/",
        "/api/v1/events/",
        f"/api/v1/events/{world.events[0].pk}/",
        "/api/v1/changes/",
        "/api/v1/webhooks/",
        "/api/v1/snapshots/",
    ]


def test_a_misspelt_filter_is_a_400_naming_it_and_the_valid_ones(api, world):
    response = api.get("/api/v1/actors/", {"is_principl": "yes"})
    assert response.status_code == 400
    message = response.json()["is_principl"][0]
    assert "Unknown parameter “is_principl”" in message
    for valid in ("is_principal", "kind", "represents", "search", "ordering", "page", "page_size", "format"):
        assert valid in message


def test_every_endpoint_refuses_an_unknown_parameter(editor_api, world):
    for url in endpoints(world):
        glue = "&" if "?" in url else "?"
        assert editor_api.get(url).status_code == 200, url
        response = editor_api.get(f"{url}{glue}no_such_filter=1")
        assert response.status_code == 400, url
        assert "no_such_filter" in response.json(), url


def test_a_filter_of_the_list_is_refused_on_a_detail(api, world):
    response = api.get(f"/api/v1/provisions/{world.new_points[0].pk}/", {"version": world.old.pk})
    assert response.status_code == 400
    assert "version" in response.json()


def test_an_unknown_parameter_is_refused_in_csv_too(api, world):
    response = api.get("/api/v1/provisions/", {"format": "csv", "statuss": "agreed"})
    assert response.status_code == 400
    assert "statuss" in response.content.decode("utf-8-sig")


def test_every_parameter_the_schema_documents_is_accepted(editor_api, world):
    schema = json.loads(editor_api.get("/api/v1/schema/", {"format": "json"}).content)
    ids = {"{id}": str(world.new_points[0].pk)}
    checked = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path.replace("{id}", ""):
            continue
        url = path
        for placeholder, value in ids.items():
            url = url.replace(placeholder, value)
        for parameter in get.get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = editor_api.get(url, {parameter["name"]: "1"})
            assert "Unknown parameter" not in response.content.decode("utf-8-sig"), (path, parameter["name"])
            checked += 1
    assert checked > 50
