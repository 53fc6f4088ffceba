"""Property-based: schemathesis generates requests from the OpenAPI schema, valid and
invalid (wrong types, unknown enum values, huge numbers, odd strings), for every
operation of this API, as an editor, so writes are exercised too (a valid one with the
record's current ETag in If-Match, as writes require). No request may
give a server error, and every response must be documented by the schema.

Bounded (a few examples per operation and mode, derandomized) so it runs in
seconds and fails the same way on every run. Operations are looped over here
rather than through `schema.parametrize()`, whose pytest plugin does not run on
this pytest version."""

import pytest
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import OURS

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6
WRITES = {"PUT", "PATCH", "DELETE"}


def with_current_etag(case, reader: APIClient) -> None:
    """A valid write sends the record's current ETag (the schema requires If-Match), so
    generated writes reach the record; negative cases keep what was generated (no or a
    wrong If-Match: 428 or 412, both documented)."""
    if case.method.upper() in WRITES:
        etag = reader.get(case.formatted_path).headers.get("ETag")
        if etag:
            case.headers = {**(case.headers or {}), "If-Match": etag}


def test_no_generated_request_gives_a_server_error(wsgi_schema, editor):
    headers = {"Authorization": f"Token {Token.objects.create(user=editor).key}"}
    reader = APIClient()
    reader.force_authenticate(editor)
    operations = [result.ok() for result in wsgi_schema.include(path_regex=OURS.pattern).get_all_operations()]
    assert len(operations) >= 50
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            positive = mode == GenerationMode.POSITIVE

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                if positive:  # noqa: B023 (run() is called within this iteration)
                    with_current_etag(case, reader)
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # report every operation's failure at once
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
