"""Property-based: schemathesis generates requests from the OpenAPI schema, valid and
invalid (wrong types, unknown enum values, huge numbers, odd strings), for every
operation of this API, as an editor, so writes are exercised too (a valid one with the
record's current ETag in If-Match, as writes require). No request may
give a server error, and every response must be documented by the schema.

Bounded (a few examples per operation and mode, derandomized) so it runs in
seconds and fails the same way on every run. Operations are looped over here
rather than through `schema.parametrize()`, whose pytest plugin does not run on
this pytest version.

How many examples ran per operation and mode is printed (`-s`) and written to
`test-artifacts/schemathesis.txt`, so a report can say what was exercised."""

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6
WRITES = {"PUT", "PATCH", "DELETE"}


def with_current_etag(case, reader: Callable[[str], Any]) -> None:
    """A valid write sends the record's current ETag (the schema requires If-Match), so
    generated writes reach the record; negative cases keep what was generated (no or a
    wrong If-Match: 428 or 412, both documented).

    Read through the same WSGI app, not Django's test client: that client reconnects the
    handler that closes the database connection after a request (see `wsgi_schema`), which
    on PostgreSQL would close the test's own connection mid-transaction."""
    if case.method.upper() in WRITES:
        etag = reader(case.formatted_path).headers.get("ETag")
        if etag:
            case.headers = {**(case.headers or {}), "If-Match": etag}


REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis.txt"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def examples_table(counts: Counter, labels: list[str]) -> str:
    """One line per operation: examples generated (and sent) in each mode, then the totals."""
    width = max(len(label) for label in labels)
    lines = [f"{'operation':<{width}}  {'positive':>8}  {'negative':>8}"]
    for label in labels:
        lines.append(f"{label:<{width}}  " + "  ".join(f"{counts[label, mode.value]:>8}" for mode in MODES))
    totals = "  ".join(f"{sum(n for (_, m), n in counts.items() if m == mode.value):>8}" for mode in MODES)
    lines.append(f"{f'total ({len(labels)} operations)':<{width}}  {totals}")
    return "\n".join(lines) + "\n"


def _examples(operation, mode: GenerationMode, headers: dict[str, str], counts: Counter, reader: Callable[[str], Any]):
    """A bounded, derandomized hypothesis run of one operation in one mode, counting its examples."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        counts[operation.label, mode.value] += 1
        if mode == GenerationMode.POSITIVE:
            with_current_etag(case, reader)
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


# Every operation, webhooks and snapshots included (their generated webhook addresses never
# resolve: `no_dns`; archives are written under a temporary MEDIA_ROOT).
EVERY_OPERATION = r"^/api/v1/"


def test_no_generated_request_gives_a_server_error(wsgi_schema, editor, no_dns, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    headers = {"Authorization": f"Token {Token.objects.create(user=editor).key}"}
    client = Client(wsgi_schema.app)

    def reader(path: str):
        return client.get(path, headers=headers)

    operations = [result.ok() for result in wsgi_schema.include(path_regex=EVERY_OPERATION).get_all_operations()]
    assert len(operations) >= 60
    failures: list[str] = []
    counts: Counter = Counter()
    for operation in operations:
        for mode in MODES:
            run = _examples(operation, mode, headers, counts, reader)
            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # report every operation's failure at once
                failures.append(f"{operation.label} ({mode.value}): {error}")
    table = examples_table(counts, [operation.label for operation in operations])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(table)
    print("\nschemathesis examples per operation\n" + table)
    assert all(counts[operation.label, GenerationMode.POSITIVE.value] for operation in operations)
    assert not failures, "\n\n".join(failures)
