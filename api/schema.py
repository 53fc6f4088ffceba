"""OpenAPI post-processing: document the error responses every operation can give,
the conditional-request headers of the views that honour them, and CSV bodies."""

from typing import Any

from .concurrency import ConditionalModelMixin

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA = {
    "type": "object",
    "description": "What went wrong. `detail` for a general error; otherwise one key per field or "
    "query parameter, each with a list of messages.",
    "properties": {"detail": {"type": "string", "description": "The problem, in a sentence."}},
    "additionalProperties": {},
}
_DESCRIPTIONS = {
    "304": "Not modified: the `If-None-Match` ETag is still current.",
    "400": "Invalid input: a field, filter, page, date, cursor or format was refused.",
    "401": "Not authenticated: send `Authorization: Token <key>` or log in.",
    "403": "Not allowed: only editors may write.",
    "404": "No such record or page.",
    "409": "Conflict: the record is still referenced, or a constraint refused the change.",
    "412": "Precondition failed: the `If-Match` ETag is stale (or weak); nothing was changed.",
    "428": "Precondition required: send `If-Match` with the record's ETag (from a GET of it); nothing was changed.",
    "429": "Too many requests from an anonymous client; retry after the `Retry-After` seconds.",
    "503": "Other writes kept colliding with this one (retried, then given up); nothing was saved: "
    "send it again after the `Retry-After` seconds.",
}


_ETAG_HEADER = {
    "ETag": {
        "description": "Strong validator of this representation: send it back in `If-None-Match` "
        "(304 while unchanged) or `If-Match` (writes refused with 412 once it is stale).",
        "schema": {"type": "string"},
    }
}
_CSV_BODY = {"type": "string", "description": "A flat CSV (UTF-8 with a byte-order mark), one row per record."}
_CSV_PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "CSV only (a CSV holds one page): how many records match, on all pages.",
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": 'CSV only: the next and previous pages (`<url>; rel="next"`, `rel="prev"`), when there are any.',
        "schema": {"type": "string"},
    },
}

_FORMAT_QUERY = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`json` (default) or `csv` (a flat CSV). Another value is a 400.",
    "schema": {"type": "string", "enum": ["json", "csv"]},
}

_PAGE_FIELDS = {
    "count": "How many records match, on all pages.",
    "next": "URL of the next page; null on the last.",
    "previous": "URL of the previous page; null on the first.",
    "results": "The records of this page.",
}


# Response components whose fields are optional on input (so drf-spectacular leaves them
# out of `required`) but always present in a response.
ALWAYS_IN_RESPONSES = ("Provision", "EarlierPoint", "LaterPoint", "PointTerritory", "Territory", "Observation")


def mark_always_present_fields(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Responses always carry every field of these components: say so in `required`."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in ALWAYS_IN_RESPONSES:
        if name in schemas:
            schemas[name]["required"] = sorted(schemas[name]["properties"])
    return result


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add the 4xx responses and conditional-request headers to every operation, and
    describe the fields DRF leaves bare (ids, pagination, the `format` parameter)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _ERROR_SCHEMA
    for name, component in schemas.items():
        properties = component.get("properties", {})
        if "id" in properties:
            properties["id"].setdefault("description", "Unique id of the record.")
        if name.startswith("Paginated"):
            for field, description in _PAGE_FIELDS.items():
                if field in properties:
                    properties[field].setdefault("description", description)
    conditional = _conditional_paths(generator)
    for path, operations in result.get("paths", {}).items():
        has_id = "{id}" in path
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "429"]
            if method != "get":
                codes += ["401", "403", "409"]
            # Unknown ids and pages past the end give 404.
            codes.append("404")
            etag_on = None
            if path in conditional and method in {"put", "patch", "delete"} and has_id:
                codes += ["412", "428", "503"]
                operation.setdefault("parameters", []).append(
                    _header(
                        "If-Match",
                        "Required: the record's ETag, as a GET of it answered. The write happens only if it "
                        'still matches (strong comparison: a weak `W/"…"` tag never matches), else 412; '
                        "without it, 428.",
                        required=True,
                    )
                )
                etag_on = "200"
            if path in conditional and method == "post" and not has_id:
                codes.append("503")
            if path in conditional and method == "get" and has_id and not path.endswith("/compare/{other_id}/"):
                codes.append("304")
                operation.setdefault("parameters", []).append(
                    _header("If-None-Match", "Answer 304 (no body) if one of these ETags still matches.")
                )
                etag_on = "200"
            if path in conditional and method == "post" and not has_id:
                etag_on = "201"
            if method == "get" and not any(
                p.get("name") == "format" and p.get("in") == "query" for p in operation.get("parameters", [])
            ):
                # Every endpoint takes `format` (`api.filtering.accepted_parameters`): say so.
                operation.setdefault("parameters", []).append(_FORMAT_QUERY)
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "format" and parameter.get("in") == "query":
                    parameter.setdefault("description", "`json` (default) or `csv` (a flat CSV).")
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("pattern") == "^[^/]+$":
                    # The route accepts any string (so a bad one is a JSON 404); ids are integers.
                    parameter["schema"] = {"type": "integer"}
                    parameter.setdefault("description", "Id of the record.")
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code in responses:
                    continue
                response: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
                if code != "304":
                    response["content"] = {"application/json": {"schema": _ERROR}}
                responses[code] = response
            if etag_on is not None:
                for code in (etag_on, "304"):
                    if code in responses:
                        responses[code].setdefault("headers", {}).update(_ETAG_HEADER)
            _document_csv(responses)
    return result


def _conditional_paths(generator: Any) -> set[str]:
    """Paths (as the schema spells them) of the views that send ETags and honour
    `If-Match` / `If-None-Match`."""
    paths = set()
    for path, _regex, _method, callback in getattr(generator, "endpoints", None) or []:
        view_class = getattr(callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, ConditionalModelMixin):
            paths.add(path.replace("{pk}", "{id}"))
    return paths


def _document_csv(responses: dict[str, Any]) -> None:
    """A `text/csv` body is a string, not the JSON schema; a CSV list says where the rest is."""
    for code, response in responses.items():
        content = response.get("content", {})
        if not code.startswith("2") or "text/csv" not in content:
            continue
        json_schema = content.get("application/json", {}).get("schema", {})
        content["text/csv"] = {"schema": _CSV_BODY}
        name = json_schema.get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith("Paginated") or name == "ChangePage":
            response.setdefault("headers", {}).update(_CSV_PAGE_HEADERS)


def _header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }
