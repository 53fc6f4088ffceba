"""Webhooks: which change is which event, how a payload is signed, how it is POSTed.

Signature header: `X-Accord-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
keyed with the subscription's secret. A consumer recomputes it over the raw body
and refuses a timestamp older than a few minutes (`verify_signature`), so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from history.feed import feed_entries
from history.models import Change, ChangeAction
from provisions.choices import VersionStatus
from provisions.importing import IMPORT_PUBLISHED, IMPORTED_FOR_REVIEW

from .choices import WebhookEvent

SIGNATURE_HEADER = "X-Accord-Signature"
IDEMPOTENCY_HEADER = "X-Accord-Idempotency-Key"
EVENT_HEADER = "X-Accord-Event"
DEFAULT_TOLERANCE_SECONDS = 300

# Every editorial record type maps to exactly one kind (a version may be "published" instead).
RECORD_EVENTS: dict[str, str] = {
    "provisions.provision": WebhookEvent.PROVISION_CHANGED,
    "provisions.lineage": WebhookEvent.PROVISION_CHANGED,
    "provisions.territorialdisposition": WebhookEvent.PROVISION_CHANGED,
    "provisions.version": WebhookEvent.VERSION_CHANGED,
    "provisions.territory": WebhookEvent.TERRITORY_CHANGED,
    "provisions.controlobservation": WebhookEvent.TERRITORY_CHANGED,
    "provisions.plan": WebhookEvent.REFERENCE_CHANGED,
    "provisions.source": WebhookEvent.REFERENCE_CHANGED,
    "actors.actor": WebhookEvent.REFERENCE_CHANGED,
    "actors.position": WebhookEvent.POSITION_CHANGED,
    "actors.event": WebhookEvent.EVENT_CHANGED,
    "actors.claim": WebhookEvent.CLAIM_CHANGED,
    "actors.account": WebhookEvent.CLAIM_CHANGED,
}
# A version "is published" when it appears on the record (created by an editor or the API),
# when its status becomes one of these, or when the import that created it is published
# after review. An imported draft awaiting review is not published: its creation is
# `version.changed`, and publishing the import records the write that is `version.published`.
PUBLISHED_STATUSES = {VersionStatus.PROPOSED, VersionStatus.UNDER_NEGOTIATION, VersionStatus.AGREED}


def event_for(change: Change, state_after: Callable[[Change], Any]) -> str | None:
    """The webhook event of a change-log row, or None for a record type nobody can subscribe to.

    `state_after` reads the version's history row the change wrote (its status and
    change reason); it is asked only for a version created, or updated in its status
    or in nothing (the write that publishes an import).
    """
    kind = RECORD_EVENTS.get(change.record_type)
    if kind != WebhookEvent.VERSION_CHANGED or change.action == ChangeAction.DELETED:
        return kind
    fields = change.changed_fields or []
    if change.action == ChangeAction.UPDATED and fields and "status" not in fields:
        return kind
    row = state_after(change)
    reason = getattr(row, "history_change_reason", None)
    if reason == IMPORTED_FOR_REVIEW:
        return kind
    if reason == IMPORT_PUBLISHED or change.action == ChangeAction.CREATED:
        return WebhookEvent.VERSION_PUBLISHED
    if "status" in fields and getattr(row, "status", None) in PUBLISHED_STATUSES:
        return WebhookEvent.VERSION_PUBLISHED
    return kind


def on_changes_recorded(sender: Any, changes: Sequence[Change], using: str, **kwargs: Any) -> None:
    """Receiver of `history.recording.changes_recorded`: fan out once the write commits.

    Does no query itself; the dispatch after commit reads the active subscriptions once.
    """
    ids = [change.pk for change in changes if change.pk is not None and change.record_type in RECORD_EVENTS]
    if not ids:
        return
    from .services import webhooks_dispatch

    transaction.on_commit(lambda: webhooks_dispatch(change_ids=ids), using=using)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None
) -> bool:
    """What a consumer does: recompute the HMAC over the raw body and refuse old timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class PostResult:
    succeeded: bool
    response_code: int | None
    error: str
    duration_ms: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the body elsewhere (or drop it): count it as a failure instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> PostResult:
    """POST once; a 2xx answer is success, anything else (or no answer) a failure."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _opener.open(request, timeout=timeout) as response:
            code = response.status
    except urllib.error.HTTPError as error:
        return PostResult(False, error.code, f"HTTP {error.code} {error.reason}"[:500], elapsed())
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        return PostResult(False, None, f"{type(error).__name__}: {reason}"[:500], elapsed())
    ok = 200 <= code < 300
    return PostResult(ok, code, "" if ok else f"HTTP {code}", elapsed())


def payload_for(change: Change, event: str) -> dict[str, Any]:
    """The change feed's entry for this change (same shape as `/api/v1/changes/`), plus its event."""
    [entry] = feed_entries([change])
    return {**entry, "event": event}
