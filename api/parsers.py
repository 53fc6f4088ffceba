"""Request bodies: JSON bounded in size and depth, so no body can exhaust the parser."""

from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True as soon as `text` nests arrays/objects deeper than `limit` (brackets inside strings
    do not count). One pass, no recursion: Python's own parser hits its recursion limit first."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 that says why a body over
    `API_JSON_MAX_BYTES` or nested deeper than `API_JSON_MAX_DEPTH`."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: dict | None = None) -> Any:
        # Read at request time, so tests can lower them. No write nests deeper than 3 levels.
        max_bytes, max_depth = settings.API_JSON_MAX_BYTES, settings.API_JSON_MAX_DEPTH
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            raise ParseError(f"JSON body too large: at most {max_bytes} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error - the body is not {encoding}: {error}") from None
        if json_depth_exceeds(text, max_depth):
            raise ParseError(f"JSON body nested too deep: at most {max_depth} levels of arrays and objects.")
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); Python's parser accepts them by default.
    raise ValueError(f"{name} is not a JSON value")
