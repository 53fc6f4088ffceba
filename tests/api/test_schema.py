"""The OpenAPI schema validates, documents everything, and real responses match it."""

import json
import re

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from actors.choices import ActorKind, EventKind, Stance
from history.models import ChangeAction
from provisions.choices import Disposition, ProvisionStatus, TerritoryKind, Topic, VersionStatus
from tests.api.conftest import OURS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _served_schema() -> bytes:
    """The schema as served, fetched once per module: generating it takes about half a second,
    and it depends on the code only (the request reads no database: access stays blocked)."""
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.content


@pytest.fixture
def schema(_served_schema) -> dict:
    return json.loads(_served_schema)  # each test its own copy


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_resource_the_feed_and_compare_are_documented(schema):
    paths = set(schema["paths"])
    for resource in ("plans", "versions", "provisions", "territories", "actors", "positions", "sources", "events"):
        assert {f"/api/v1/{resource}/", f"/api/v1/{resource}/{{id}}/"} <= paths
    assert {"/api/v1/changes/", "/api/v1/versions/{id}/compare/{other_id}/"} <= paths


def test_the_enums_are_the_stored_vocabularies(schema):
    components = schema["components"]["schemas"]
    for name, choices in {
        "StanceEnum": Stance,
        "TopicEnum": Topic,
        "ProvisionStatusEnum": ProvisionStatus,
        "VersionStatusEnum": VersionStatus,
        "DispositionEnum": Disposition,
        "TerritoryKindEnum": TerritoryKind,
        "ActorKindEnum": ActorKind,
        "EventKindEnum": EventKind,
        "ChangeActionEnum": ChangeAction,
    }.items():
        assert components[name]["enum"] == list(choices.values), name
        assert all(value in components[name]["description"] for value in choices.values), name


def _referenced(schema: dict, node: object, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                _referenced(schema, schema["components"]["schemas"][name], found)
        for value in node.values():
            _referenced(schema, value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(schema, value, found)
    return found


def test_every_field_and_filter_of_our_operations_is_described(schema):
    ours = {path: ops for path, ops in schema["paths"].items() if OURS.match(path)}
    undescribed = [
        f"{path} {method} {param['name']}"
        for path, operations in ours.items()
        for method, operation in operations.items()
        for param in operation.get("parameters", [])
        if not param.get("description")
    ]
    components = schema["components"]["schemas"]
    for name in _referenced(schema, ours, set()):
        undescribed += [
            f"{name}.{prop}"
            for prop, spec in components[name].get("properties", {}).items()
            if not spec.get("description")
        ]
    assert undescribed == []


def test_the_provision_filters_are_all_in_the_schema(schema):
    names = {param["name"] for param in schema["paths"]["/api/v1/provisions/"]["get"]["parameters"]}
    assert names >= {
        "plan",
        "version",
        "topic",
        "status",
        "territory",
        "actor",
        "stance",
        "number",
        "search",
        "ordering",
        "page",
        "page_size",
        "as_of",
        "format",
    }


def test_a_points_lineage_and_territories_are_writable_and_always_in_responses(schema):
    components = schema["components"]["schemas"]
    written = components["ProvisionRequest"]["properties"]
    assert written["derives_from"]["items"] == {"$ref": "#/components/schemas/EarlierPointRequest"}
    assert written["territories"]["items"] == {"$ref": "#/components/schemas/PointTerritoryRequest"}
    assert components["EarlierPointRequest"]["required"] == ["id"]
    assert components["PointTerritoryRequest"]["required"] == ["disposition", "id"]
    assert {"derives_from", "derived_into", "territories", "positions"} <= set(components["Provision"]["required"])
    assert components["PointTerritory"]["required"] == ["disposition", "id", "name", "note", "slug"]


def test_no_component_describes_our_internals(schema):
    # A serializer without a docstring inherits its base class's, written for developers.
    for name, component in schema["components"]["schemas"].items():
        description = component.get("description", "")
        assert "save_recorded" not in description and "full_clean" not in description, name


def test_the_docs_page_is_served_without_any_cdn(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


def test_real_responses_of_every_list_and_detail_match_the_schema(wsgi_schema):
    from provisions.models import Provision

    point = Provision.objects.order_by("id").last()
    checked = 0
    for path in wsgi_schema.raw_schema["paths"]:
        if not OURS.match(path) or "compare" in path:
            continue
        operation = wsgi_schema[path]["GET"]
        path_parameters = {"id": point.pk} if "{id}" in path else None
        if path_parameters and not path.startswith("/api/v1/provisions/"):
            listing = wsgi_schema[path.replace("{id}/", "")]["GET"].Case().call()
            path_parameters = {"id": listing.json()["results"][0]["id"]}
        case = operation.Case(path_parameters=path_parameters, query={"page_size": 3} if not path_parameters else None)
        response = case.call()
        assert response.status_code == 200, (path, response.text[:300])
        case.validate_response(
            response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
        )
        checked += 1
    assert checked == 17


def _parameters(schema: dict, path: str, method: str = "get") -> dict[str, dict]:
    return {param["name"]: param for param in schema["paths"][path][method].get("parameters", [])}


def test_the_actor_and_stance_filters_of_provisions_have_types(schema):
    params = _parameters(schema, "/api/v1/provisions/")
    assert params["actor"]["schema"] == {"type": "string"}
    assert params["stance"]["schema"] == {"type": "string", "enum": sorted([*Stance.values, "none"])}


def test_boolean_filters_are_documented_as_booleans(schema):
    assert _parameters(schema, "/api/v1/positions/")["current"]["schema"] == {"type": "boolean"}
    assert _parameters(schema, "/api/v1/actors/")["is_principal"]["schema"] == {"type": "boolean"}


def test_the_etag_header_and_conditional_requests_are_documented(schema):
    detail = schema["paths"]["/api/v1/provisions/{id}/"]
    assert "If-None-Match" in _parameters(schema, "/api/v1/provisions/{id}/")
    assert {"ETag"} <= set(detail["get"]["responses"]["200"]["headers"])
    assert {"ETag"} <= set(detail["get"]["responses"]["304"]["headers"])
    for method in ("put", "patch", "delete"):
        assert "If-Match" in _parameters(schema, "/api/v1/provisions/{id}/", method)
        assert "412" in detail[method]["responses"]
    assert "ETag" in detail["patch"]["responses"]["200"]["headers"]
    assert "ETag" in schema["paths"]["/api/v1/plans/"]["post"]["responses"]["201"]["headers"]


def test_conditional_requests_are_not_documented_where_they_are_not_honoured(schema):
    webhook = schema["paths"]["/api/v1/webhooks/{id}/"]
    assert "If-Match" not in _parameters(schema, "/api/v1/webhooks/{id}/", "patch")
    assert "412" not in webhook["patch"]["responses"] and "304" not in webhook["get"]["responses"]
    assert "304" not in schema["paths"]["/api/v1/versions/{id}/compare/{other_id}/"]["get"]["responses"]


def test_csv_bodies_are_documented_as_text_with_paging_headers(schema):
    listing = schema["paths"]["/api/v1/provisions/"]["get"]["responses"]["200"]
    assert listing["content"]["text/csv"]["schema"]["type"] == "string"
    assert {"X-Total-Count", "Link"} <= set(listing["headers"])
    detail = schema["paths"]["/api/v1/provisions/{id}/"]["get"]["responses"]["200"]
    assert detail["content"]["text/csv"]["schema"]["type"] == "string"
    assert "$ref" in detail["content"]["application/json"]["schema"]
