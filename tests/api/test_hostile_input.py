"""Hostile input gets a clear 4xx, never a 500 (issue 11, items 5, 8 and 10)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from actors.models import Account, Actor, Claim, Event, Position
from history.writing import delete_recorded, save_recorded
from provisions.models import ControlObservation, Plan, Provision, Source, TerritorialDisposition, Territory, Version
from tests.factories import ActorFactory, SourceFactory, TerritoryFactory, VersionFactory

pytestmark = pytest.mark.django_db

# --- Item 5: characters XML 1.0 cannot carry are refused at input, naming the character ---

UNSTORABLE = [
    ("\x07", "the control character U+0007"),
    ("\x1b", "the control character U+001B"),
    ("\x0b", "the control character U+000B"),
    ("\ufffe", "the character U+FFFE"),
]


@pytest.mark.parametrize(("character", "named"), UNSTORABLE)
def test_the_api_refuses_a_title_with_an_unstorable_character_naming_it(editor_api, character, named):
    response = editor_api.post("/api/v1/plans/", {"name": f"Pl{character}an", "slug": "plan"}, format="json")
    assert response.status_code == 400, response.content
    assert named in response.json()["name"][0] and "cannot be stored" in response.json()["name"][0]
    assert not Plan.objects.exists()


@pytest.mark.parametrize(("character", "named"), UNSTORABLE)
def test_the_admin_refuses_a_note_with_an_unstorable_character_naming_it(editor_client, character, named):
    territory, source = TerritoryFactory(), SourceFactory()
    response = editor_client.post(
        reverse("admin:provisions_controlobservation_add"),
        {
            "territory": territory.pk,
            "observed_on": "2025-11-19",
            "ukraine_share": "10",
            "source": source.pk,
            "note": f"Bell{character}rings",
        },
    )
    assert response.status_code == 200
    assert f"contains {named}, which cannot be stored" in response.content.decode()
    assert not ControlObservation.objects.exists()


def test_a_nested_note_with_an_unstorable_character_is_a_field_error(editor_api, demo_data):
    point, territory = Provision.objects.first(), Territory.objects.first()
    etag = editor_api.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"]
    body = {"territories": [{"id": territory.pk, "disposition": "demilitarized_zone", "note": "Bell\x07rings"}]}
    response = editor_api.patch(f"/api/v1/provisions/{point.pk}/", body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert "U+0007" in str(response.json()["territories"])


def test_tab_newline_and_text_beyond_the_basic_plane_are_kept(editor_api):
    name = "Line one\n\tLine two\r\n🕊 Ж"
    response = editor_api.post("/api/v1/plans/", {"name": name, "slug": "plan"}, format="json")
    assert response.status_code == 201, response.content
    assert Plan.objects.get().name == name


# --- Item 10: a web address with characters that must be encoded is refused ---


@pytest.mark.parametrize("url", ['https://example.org/a"b', "https://example.org/<script>", "https://example.org/x>y"])
def test_a_source_url_with_quote_or_angle_brackets_is_a_field_error(editor_api, url):
    response = editor_api.post(
        "/api/v1/sources/",
        {"publisher": "Reuters", "title": "A report", "url": url, "published_on": "2025-11-20"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "cannot contain" in response.json()["url"][0]
    assert not Source.objects.exists()


def test_a_plain_source_url_is_accepted(editor_api):
    url = "https://example.org/news/2025/11/20/plan?id=3&x=%22q%22#part"
    response = editor_api.post(
        "/api/v1/sources/",
        {"publisher": "Reuters", "title": "A report", "url": url, "published_on": "2025-11-20"},
        format="json",
    )
    assert response.status_code == 201, response.content


# --- Item 8: no 500 for any input --------------------------------------------------------

LIST_PATHS = [
    "/api/v1/plans/",
    "/api/v1/versions/",
    "/api/v1/provisions/",
    "/api/v1/territories/",
    "/api/v1/actors/",
    "/api/v1/positions/",
    "/api/v1/sources/",
    "/api/v1/events/",
    "/api/v1/changes/",
]
FORMATS = [None, "json", "api", "csv", "xml"]


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


def _urls(demo: Any) -> list[str]:
    version = Version.objects.order_by("pk").first()
    details = [
        f"/api/v1/plans/{Plan.objects.first().pk}/",
        f"/api/v1/versions/{version.pk}/",
        f"/api/v1/provisions/{Provision.objects.first().pk}/",
        f"/api/v1/territories/{Territory.objects.first().pk}/",
        f"/api/v1/actors/{Actor.objects.first().pk}/",
        f"/api/v1/positions/{Position.objects.first().pk}/",
        f"/api/v1/sources/{Source.objects.first().pk}/",
        f"/api/v1/events/{Event.objects.first().pk}/",
        f"/api/v1/versions/{version.pk}/compare/{Version.objects.order_by('pk').last().pk}/",
        "/api/v1/provisions/99999999999999999999999/",
        "/api/v1/provisions/1e400/",
        "/api/v1/",
    ]
    return LIST_PATHS + details


@pytest.mark.parametrize("method", ["get", "options", "head"])
def test_every_endpoint_in_every_format_answers_without_a_server_error(anonymous, demo_data, method):
    failures = []
    for url in _urls(demo_data):
        for fmt in FORMATS:
            # In the URL: the test client sends an OPTIONS request's data as its body.
            response = getattr(anonymous, method)(url + (f"?format={fmt}" if fmt else ""))
            if response.status_code >= 500:
                failures.append((method, url, fmt, response.status_code))
    assert failures == []


def test_options_with_format_csv_is_a_400_naming_the_parameter(anonymous, demo_data):
    for url in ["/api/v1/provisions/", f"/api/v1/provisions/{Provision.objects.first().pk}/", "/api/v1/changes/"]:
        response = anonymous.options(url + "?format=csv")
        assert response.status_code == 400, url
        assert "OPTIONS describes the endpoint in JSON" in response.json()["format"][0]
    assert anonymous.options("/api/v1/provisions/").status_code == 200


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/timeline/?page=99999999999999999999999", {400, 404}),
        ("/timeline/?page=999999999999999999", {400, 404}),
        ("/timeline/?page=1000000", {200}),
        ("/provisions/?page=99999999999999999999999", {200, 400, 404}),
        ("/?version=¹", {400, 404}),
        ("/?version=99999999999999999999999", {400, 404}),
        ("/provisions/?version=²", {400, 404}),
        ("/timeline/?party=¹", {400, 404}),
        ("/timeline/feed/?party=¹", {404}),
        ("/timeline/feed/?party=99999999999999999999999", {404}),
        ("/actors/?as_of=２０２５-１１-２０", {400}),
        ("/?as_of=2025-11-2¹", {400}),
        ("/api/v1/provisions/?version=¹", {400}),
        ("/api/v1/provisions/?page=99999999999999999999999", {400, 404}),
        ("/api/v1/changes/?after=¹", {400}),
        ("/api/v1/changes/?after=99999999999999999999999", {400}),
        ("/api/v1/provisions/?as_of=2025-11-2¹", {400}),
    ],
)
def test_odd_query_parameters_are_a_4xx(client, demo_data, url, allowed):
    client.raise_request_exception = False
    assert client.get(url).status_code in allowed


def test_a_json_body_nested_1000_deep_is_a_400_that_says_so(editor_api):
    for body in ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000]:
        response = editor_api.post("/api/v1/plans/", data=body, content_type="application/json")
        assert response.status_code == 400
        assert "nested too deep" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(editor_api):
    name = "[" * 100 + "{" * 100
    response = editor_api.post("/api/v1/plans/", {"name": name, "slug": "brackets"}, format="json")
    assert response.status_code == 201, response.content


def test_a_json_body_over_the_size_limit_is_a_400_that_says_so(editor_api, settings):
    settings.API_JSON_MAX_BYTES = 1000
    body = json.dumps({"name": "x" * 2000, "slug": "big"})
    response = editor_api.post("/api/v1/plans/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "too large: at most 1000 bytes" in response.json()["detail"]
    assert not Plan.objects.exists()


@pytest.mark.parametrize("value", ["1e400", "-1e400", "1.5", "1.0", "true", "99999999999999999999999", "-3", '"¹"'])
def test_an_id_that_is_not_a_whole_number_in_range_is_a_field_error(editor_api, value):
    version = VersionFactory()
    source = SourceFactory()
    cases = [
        (
            "/api/v1/provisions/",
            "version",
            f'{{"version": {value}, "number": "1", "title": "T", "topics": ["territory"]}}',
        ),
        (
            "/api/v1/positions/",
            "sources",
            f'{{"actor": {ActorFactory().pk}, "version": {version.pk}, "stance": "supports", "summary": "s",'
            f' "taken_on": "2025-11-20", "sources": [{value}]}}',
        ),
        (
            "/api/v1/versions/",
            "plan",
            f'{{"plan": {value}, "label": "L", "dated": "2025-11-20", "sources": [{source.pk}]}}',
        ),
    ]
    for url, field, body in cases:
        response = editor_api.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert field in response.json(), (url, response.json())


def test_nested_ids_out_of_range_are_field_errors(editor_api, demo_data):
    point = Provision.objects.first()
    for body in [
        {"territories": [{"id": 10**30, "disposition": "demilitarized_zone"}]},
        {"derives_from": [{"id": 10**30}]},
        {"territories": [{"id": -1, "disposition": "demilitarized_zone"}]},
    ]:
        etag = editor_api.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"]
        response = editor_api.patch(f"/api/v1/provisions/{point.pk}/", body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400, response.content
        assert set(response.json()) <= {"territories", "derives_from"}


def on(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 11, day, 12, tzinfo=datetime.UTC)


@pytest.fixture
def cited_then_deleted(db):
    """On 19–20 November a territory, an actor and a source are cited by a disposition, a
    stance, a control figure, an event and an account; all of them are deleted since."""
    plan = save_recorded(Plan(name="Plan", slug="plan"), recorded_at=on(19))
    kept_source = save_recorded(
        Source(publisher="Reuters", title="Kept", url="https://example.org/k"), recorded_at=on(19)
    )
    version = save_recorded(
        Version(plan=plan, label="Draft", dated=datetime.date(2025, 11, 19)),
        m2m={"sources": [kept_source]},
        recorded_at=on(19),
    )
    point = save_recorded(
        Provision(version=version, number="1", title="Lines", text="Frozen.", topics=["territory"]), recorded_at=on(19)
    )
    territory = save_recorded(Territory(name="Gone oblast", slug="gone"), recorded_at=on(19))
    actor = save_recorded(Actor(name="Gone party", slug="gone-party", kind="state"), recorded_at=on(19))
    source = save_recorded(Source(publisher="Gone wire", title="Gone", url="https://example.org/g"), recorded_at=on(19))
    cited = [
        save_recorded(
            TerritorialDisposition(provision=point, territory=territory, disposition="demilitarized_zone"),
            recorded_at=on(20),
        ),
        save_recorded(
            Position(actor=actor, provision=point, version=version, stance="opposes", summary="No.", taken_on=on(20)),
            m2m={"sources": [source]},
            recorded_at=on(20),
        ),
        save_recorded(
            ControlObservation(territory=territory, observed_on=on(20), ukraine_share=10, source=source),
            recorded_at=on(20),
        ),
        save_recorded(
            Event(title="Talks", occurred_on=on(20)), m2m={"actors": [actor], "sources": [source]}, recorded_at=on(20)
        ),
    ]
    claim = save_recorded(Claim(question="Did they agree?", version=version), recorded_at=on(20))
    cited.append(
        save_recorded(
            Account(claim=claim, claimant="An aide", actor=actor, says="Yes.", source=source, reported_on=on(20)),
            recorded_at=on(20),
        )
    )
    ids = {"territory": territory.pk, "actor": actor.pk, "source": source.pk}
    for record in [*reversed(cited), territory, actor, source]:
        delete_recorded(record)
    return {"point": point, "version": version, **ids}


def test_as_of_reads_survive_the_deletion_of_what_old_records_cited(client, cited_then_deleted):
    client.raise_request_exception = False
    world = cited_then_deleted
    point, version = world["point"], world["version"]
    day = {"as_of": "2025-11-21"}
    api_urls = [
        "/api/v1/provisions/",
        f"/api/v1/provisions/{point.pk}/",
        "/api/v1/territories/",
        f"/api/v1/territories/{world['territory']}/",
        "/api/v1/positions/",
        "/api/v1/events/",
        "/api/v1/versions/",
    ]
    pages = [
        "/",
        "/provisions/",
        f"/provisions/{point.pk}/",
        "/territories/",
        "/timeline/",
        "/convergence/",
        "/actors/",
        f"/actors/{world['actor']}/",
        f"/sources/{world['source']}/",
        f"/versions/{version.pk}/compare/{version.pk}/",
    ]
    answers = {url: client.get(url, day) for url in api_urls + pages}
    assert {url: r.status_code for url, r in answers.items() if r.status_code >= 500} == {}
    # What was on record that day is shown as it last stood.
    shown = answers[f"/api/v1/provisions/{point.pk}/"].json()
    assert [t["slug"] for t in shown["territories"]] == ["gone"]
    assert [s["actor"]["name"] for s in shown["positions"]] == ["Gone party"]
    assert "Gone oblast" in answers[f"/provisions/{point.pk}/"].content.decode()
    observations = answers[f"/api/v1/territories/{world['territory']}/"].json()["observations"]
    assert [o["source"] for o in observations] == [world["source"]]


# --- Item 10: unknown API paths answer JSON 404; invalid tokens are throttled --------------

UNKNOWN_PATHS = ["/api/v1/nothing/", "/api/v1/provisions/1/nothing/", "/api/v2/provisions/", "/api/", "/api"]


@pytest.mark.parametrize("with_token", [True, False])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_unknown_api_paths_answer_a_json_404_for_every_method(editor, method, with_token):
    # CSRF enforced as in production: a token client sends no CSRF cookie.
    client = APIClient(enforce_csrf_checks=True)
    if with_token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    for path in UNKNOWN_PATHS:
        response = getattr(client, method)(path, {"name": "x"}, format="json")
        assert response.status_code == 404, (path, response.status_code)
        assert response["Content-Type"] == "application/json", path
        assert "No such API endpoint" in response.json()["detail"], path


def test_the_api_root_without_its_slash_still_redirects(client):
    response = client.get("/api/v1")
    assert response.status_code == 301 and response["Location"] == "/api/v1/"


def test_requests_with_an_invalid_token_are_throttled_per_address(settings, db):
    settings.API_ANON_RATE = "3/min"
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    guesser.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    codes = [guesser.get("/api/v1/plans/").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert "invalid token" in guesser.get("/api/v1/plans/").json()["detail"]
    # Another address is not affected, nor a write path with the same bad token from it.
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    other.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert other.post("/api/v1/plans/", {"name": "P", "slug": "p"}, format="json").status_code == 401


def test_the_invalid_token_throttle_reads_the_client_behind_the_trusted_proxy(settings, db):
    settings.API_ANON_RATE = "2/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    codes = []
    for client_address in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]:
        proxied = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address)
        proxied.credentials(HTTP_AUTHORIZATION="Token wrong")
        codes.append([proxied.get("/api/v1/plans/").status_code for _ in range(3)])
    assert codes == [[401, 401, 429]] * 3
