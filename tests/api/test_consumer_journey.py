"""The issue's "done when", as a new API consumer and an editor's script would go."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_consumer_and_an_editors_script_from_the_docs_alone(api, demo_data, editor):
    docs = api.get("/api/v1/docs/")
    assert docs.status_code == 200 and '<script src="/api/v1/docs/?script=">' in docs.content.decode()
    # Swagger UI's start-up script is a file (no inline script under the CSP); it loads the schema.
    assert "/api/v1/schema/" in api.get("/api/v1/docs/", {"script": ""}).content.decode()
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/provisions/" in schema["paths"]

    # The 28 points with each party's stance.
    versions = api.get("/api/v1/versions/").json()["results"]
    draft = next(v for v in versions if v["label"] == "28-point draft")
    points = api.get("/api/v1/provisions/", {"version": draft["id"], "page_size": 100}).json()
    assert points["count"] == 28
    assert any(p["positions"] for p in points["results"])

    # Filtered by territory.
    donetsk = api.get("/api/v1/provisions/", {"territory": "donetsk"}).json()["results"]
    assert donetsk and all("donetsk" in {t["slug"] for t in p["territories"]} for p in donetsk)

    # Following the feed: read to the end, keep the cursor.
    cursor = "0"
    while True:
        page = api.get("/api/v1/changes/", {"after": cursor, "page_size": 500}).json()
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break

    # Comparing two versions.
    other = next(v for v in versions if v["id"] != draft["id"])
    assert api.get(f"/api/v1/versions/{draft['id']}/compare/{other['id']}/").status_code == 200

    # An editor's script updates a point with If-Match, and is refused when stale.
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    url = f"/api/v1/provisions/{donetsk[0]['id']}/"
    etag = script.get(url).headers["ETag"]
    assert script.patch(url, {"status": "agreed"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = script.patch(url, {"status": "dropped"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert api.get(url).json()["status"] == "agreed"

    # The consumer polling from its cursor sees exactly that one change.
    news = api.get("/api/v1/changes/", {"after": cursor}).json()["results"]
    assert [(e["record_type"], e["record_id"], e["data"]["status"]) for e in news] == [
        ("provisions.provision", donetsk[0]["id"], "agreed")
    ]
