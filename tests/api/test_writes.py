import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from actors.models import Position
from history.models import Change
from provisions.models import Plan, Provision, Source

pytestmark = pytest.mark.django_db


def test_anonymous_writes_get_401_and_change_nothing(api, world):
    point = world.new_points[0]
    before = Change.objects.count()
    assert api.patch(f"/api/v1/provisions/{point.pk}/", {"title": "x"}, format="json").status_code == 401
    assert api.delete(f"/api/v1/provisions/{point.pk}/").status_code == 401
    assert api.post("/api/v1/plans/", {"name": "P", "slug": "p"}, format="json").status_code == 401
    assert Change.objects.count() == before
    point.refresh_from_db()
    assert point.title != "x"


def test_logged_in_non_editors_get_403(reader_api, world):
    point = world.new_points[0]
    response = reader_api.patch(f"/api/v1/provisions/{point.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert reader_api.get(f"/api/v1/provisions/{point.pk}/").status_code == 200


def test_an_editor_updates_a_point_and_history_records_who(editor_api, editor, world):
    point = world.new_points[0]
    response = editor_api.patch(f"/api/v1/provisions/{point.pk}/", {"title": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
    latest = point.history.order_by("-history_id").first()
    assert latest.title == "Renamed" and latest.history_user == editor
    change = Change.objects.order_by("-id").first()
    assert (change.record_type, change.object_id, change.changed_by) == ("provisions.provision", point.pk, editor)


def test_etag_and_if_none_match_gives_304(api, world):
    url = f"/api/v1/provisions/{world.new_points[0].pk}/"
    etag = api.get(url).headers["ETag"]
    assert etag.startswith('"')
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_the_etag_moves_when_a_stance_on_the_point_changes(api, world):
    point = world.new_points[0]
    before = api.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"]
    position = Position.objects.filter(provision=point, stance="supports").first()
    position.summary = "Now with conditions."
    position.save()
    assert api.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"] != before


def test_a_stale_if_match_gets_412_and_changes_nothing(editor_api, world):
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"
    stale = editor_api.get(url).headers["ETag"]
    first = editor_api.patch(url, {"title": "First editor"}, format="json", HTTP_IF_MATCH=stale)
    assert first.status_code == 200
    changes = Change.objects.count()
    second = editor_api.patch(url, {"title": "Second editor"}, format="json", HTTP_IF_MATCH=stale)
    assert second.status_code == 412
    assert "detail" in second.json()
    assert editor_api.put(url, {**first.json(), "title": "PUT"}, format="json", HTTP_IF_MATCH=stale).status_code == 412
    assert editor_api.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    point.refresh_from_db()
    assert point.title == "First editor"
    assert Change.objects.count() == changes
    # The ETag of the write's response is current: a write with it succeeds.
    third = editor_api.patch(url, {"title": "Third"}, format="json", HTTP_IF_MATCH=first.headers["ETag"])
    assert third.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_without_if_match_gets_428_saying_what_to_send_and_changes_nothing(editor, world, method):
    blind = APIClient()  # no read first: a blind write
    blind.force_authenticate(editor)
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"
    body = {**blind.get(url).json(), "title": "Blind write"}
    changes = Change.objects.count()
    response = getattr(blind, method)(url, body, format="json")
    assert response.status_code == 428
    detail = response.json()["detail"]
    assert "If-Match" in detail and "ETag" in detail and f"GET {url}" in detail
    point.refresh_from_db()
    assert point.title != "Blind write"
    assert Change.objects.count() == changes


def test_every_write_operation_documents_428_and_a_required_if_match(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    writes = [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"put", "patch", "delete"} and "{id}" in path and not path.startswith("/api/v1/webhooks/")
    ]
    assert len(writes) >= 24
    for path, method, operation in writes:
        assert "428" in operation["responses"], (path, method)
        [if_match] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        assert if_match["required"] is True, (path, method)


def test_delete_with_a_current_if_match(editor_api, world):
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"
    etag = editor_api.get(url).headers["ETag"]
    assert editor_api.delete(url, HTTP_IF_MATCH=etag).status_code == 204
    assert not Provision.objects.filter(pk=point.pk).exists()
    assert Change.objects.filter(record_type="provisions.provision", object_id=point.pk, action="deleted").exists()


def test_an_editor_creates_a_point_and_a_position(editor_api, world):
    created = editor_api.post(
        "/api/v1/provisions/",
        {"version": world.new.pk, "number": "10a", "title": "New", "text": "A new point.", "topics": ["nuclear"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.headers["ETag"]
    point_id = created.json()["id"]
    position = editor_api.post(
        "/api/v1/positions/",
        {
            "actor": world.actors[0].pk,
            "provision": point_id,
            "stance": "conditional",
            "summary": "Only with guarantees.",
            "taken_on": "2025-11-29",
            "sources": [world.sources[0].pk],
        },
        format="json",
    )
    assert position.status_code == 201, position.content
    assert position.json()["version"] == world.new.pk  # implied by the point
    stances = editor_api.get(f"/api/v1/provisions/{point_id}/").json()["positions"]
    assert [(p["actor"]["id"], p["stance"]) for p in stances] == [(world.actors[0].pk, "conditional")]


@pytest.mark.parametrize(
    "payload",
    [
        {"title": ""},
        {"topics": []},
        {"topics": ["weather"]},
        {"topics": ["nuclear", "nuclear"]},
        {"topics": "nuclear"},
        {"status": "maybe"},
        {"number": "2"},  # taken by another point of the version
        {"title": 12.5, "text": ["not", "text"]},
        {"title": "x" * 301},
        {"text": "nul \x00 byte"},
    ],
)
def test_invalid_updates_are_a_400_naming_the_field_and_change_nothing(editor_api, world, payload):
    point = world.new_points[0]
    before = Change.objects.count()
    response = editor_api.patch(f"/api/v1/provisions/{point.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert set(payload) & set(response.json()), response.json()
    assert Change.objects.count() == before


def test_a_point_cannot_move_to_another_version(editor_api, world):
    response = editor_api.patch(
        f"/api/v1/provisions/{world.new_points[0].pk}/", {"version": world.old.pk}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()


def test_a_position_without_sources_or_dated_in_the_future_is_refused(editor_api, world):
    base = {"actor": world.actors[0].pk, "provision": world.new_points[0].pk, "stance": "supports", "summary": "Yes."}
    no_sources = editor_api.post("/api/v1/positions/", {**base, "taken_on": "2025-11-29", "sources": []}, format="json")
    assert no_sources.status_code == 400 and "sources" in no_sources.json()
    future = editor_api.post(
        "/api/v1/positions/", {**base, "taken_on": "2999-01-01", "sources": [world.sources[0].pk]}, format="json"
    )
    assert future.status_code == 400 and "taken_on" in future.json()


def test_deleting_a_referenced_record_is_a_409(editor_api, world):
    response = editor_api.delete(f"/api/v1/sources/{world.sources[0].pk}/")
    assert response.status_code == 409
    assert "detail" in response.json()
    assert Source.objects.filter(pk=world.sources[0].pk).exists()


def test_as_of_on_a_write_is_refused(editor_api, world):
    response = editor_api.patch(
        f"/api/v1/provisions/{world.new_points[0].pk}/?as_of=2025-11-22", {"title": "x"}, format="json"
    )
    assert response.status_code == 400 and "as_of" in response.json()


def test_a_token_authenticates_an_editors_script(editor, world):
    token = Token.objects.create(user=editor)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = script.post("/api/v1/plans/", {"name": "Counter plan", "slug": "counter-plan"}, format="json")
    assert response.status_code == 201, response.content
    assert Plan.objects.get(slug="counter-plan").history.first().history_user == editor


def test_a_wrong_token_is_a_401(world):
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert script.get("/api/v1/plans/").status_code == 401


def test_malformed_json_is_a_400(editor_api, world):
    response = editor_api.generic("POST", "/api/v1/plans/", "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()


def test_the_etag_read_through_one_host_name_is_valid_through_another(editor_api, world):
    url = f"/api/v1/provisions/{world.new_points[0].pk}/"
    etag = editor_api.get(url, HTTP_HOST="localhost").headers["ETag"]
    # Another host name and scheme (as behind a TLS-terminating proxy): same record, same ETag.
    assert editor_api.get(url, HTTP_HOST="127.0.0.1", secure=True).headers["ETag"] == etag
    response = editor_api.patch(
        url, {"title": "Via another host"}, format="json", HTTP_HOST="127.0.0.1", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content


def test_the_etag_still_moves_when_a_field_of_the_point_changes(editor_api, world):
    url = f"/api/v1/provisions/{world.new_points[0].pk}/"
    before = editor_api.get(url).headers["ETag"]
    after = editor_api.patch(url, {"title": "Changed"}, format="json").headers["ETag"]
    assert after != before


def test_a_weak_if_match_is_refused_with_412(editor_api, world):
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"
    etag = editor_api.get(url).headers["ETag"]
    response = editor_api.patch(url, {"title": "Weakly matched"}, format="json", HTTP_IF_MATCH=f"W/{etag}")
    assert response.status_code == 412
    point.refresh_from_db()
    assert point.title != "Weakly matched"


def test_a_weak_if_none_match_still_gives_304(api, world):
    url = f"/api/v1/provisions/{world.new_points[0].pk}/"
    etag = api.get(url).headers["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_an_empty_patch_records_no_change(editor_api, world):
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"
    etag = editor_api.get(url).headers["ETag"]
    before = (Change.objects.count(), point.history.count())
    response = editor_api.patch(url, {}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.headers["ETag"] == etag
    assert (Change.objects.count(), point.history.count()) == before


def test_a_patch_repeating_the_current_values_records_no_change(editor_api, world):
    position = world.positions[0]
    url = f"/api/v1/positions/{position.pk}/"
    current = editor_api.get(url).json()
    before = Change.objects.count()
    payload = {"stance": current["stance"], "sources": current["sources"], "actor": current["actor"]}
    assert editor_api.patch(url, payload, format="json").status_code == 200
    assert Change.objects.count() == before


def test_a_patch_changing_only_a_many_to_many_field_is_recorded(editor_api, world):
    position = world.positions[0]
    before = Change.objects.count()
    response = editor_api.patch(f"/api/v1/positions/{position.pk}/", {"sources": [world.sources[2].pk]}, format="json")
    assert response.status_code == 200 and response.json()["sources"] == [world.sources[2].pk]
    assert Change.objects.count() > before


def test_an_editor_marks_a_points_wording_not_reported_and_an_empty_text_alone_is_a_400(editor_api, world):
    point = world.new_points[0]
    url = f"/api/v1/provisions/{point.pk}/"

    alone = editor_api.patch(url, {"text": ""}, format="json")
    assert alone.status_code == 400, alone.content
    response = editor_api.patch(url, {"text": "", "text_basis": "not_reported", "note": "Only its title was reported."})

    assert response.status_code == 200, response.content
    point.refresh_from_db()
    assert (point.text, point.text_basis, point.note) == ("", "not_reported", "Only its title was reported.")
    assert response.json()["text_basis"] == "not_reported"
