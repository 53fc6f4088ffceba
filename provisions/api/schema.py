"""OpenAPI post-processing: document the error responses every operation can give."""

from typing import Any

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
    "400": "Invalid input: a field, filter, page, date or cursor was refused.",
    "401": "Not authenticated: send `Authorization: Token <key>` or log in.",
    "403": "Not allowed: only editors may write.",
    "404": "No such record, page or format.",
    "409": "Conflict: the record is still referenced, or a constraint refused the change.",
    "412": "Precondition failed: the `If-Match` ETag is stale; nothing was changed.",
    "429": "Too many requests from an anonymous client; retry after the `Retry-After` seconds.",
}


_PAGE_FIELDS = {
    "count": "How many records match, on all pages.",
    "next": "URL of the next page; null on the last.",
    "previous": "URL of the previous page; null on the first.",
    "results": "The records of this page.",
}


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
    for path, operations in result.get("paths", {}).items():
        has_id = "{id}" in path
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "429"]
            if method != "get":
                codes += ["401", "403", "409"]
            # Unknown ids, pages past the end and unknown `format` values all give 404.
            codes.append("404")
            if method in {"put", "patch", "delete"} and has_id:
                codes.append("412")
                operation.setdefault("parameters", []).append(
                    _header("If-Match", "Write only if the record's ETag still matches (else 412).")
                )
            if method == "get" and has_id and not path.endswith("/compare/{other_id}/"):
                codes.append("304")
                operation.setdefault("parameters", []).append(
                    _header("If-None-Match", "Answer 304 if the ETag still matches.")
                )
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
    return result


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description, "schema": {"type": "string"}}
