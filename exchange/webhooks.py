"""Webhooks: which change is which event, how a payload is signed, where it may go, how it is POSTed.

Pure: no imports of the services or tasks; `services` calls this module, never the reverse.

Signature header: `X-Accord-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
keyed with the subscription's secret. A consumer recomputes it over the raw body
and refuses a timestamp older than a few minutes (`verify_signature`), so a
captured request cannot be replayed later.

Targets: a webhook never reaches the server's own network. An address that is
private, loopback, link-local, multicast, reserved or unspecified is refused when the
subscription is registered and again at every delivery, after DNS resolution; the
POST then connects to the address that was checked (the Host header and TLS SNI
keep the name), so a name re-pointed between check and connect changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from history.feed import feed_entries
from history.models import Change, ChangeAction, ChangeReason
from provisions.choices import VersionStatus

from .choices import WebhookEvent

SIGNATURE_HEADER = "X-Accord-Signature"
IDEMPOTENCY_HEADER = "X-Accord-Idempotency-Key"
# The same key under the name of the IETF draft ("The Idempotency-Key HTTP Header Field").
STANDARD_IDEMPOTENCY_HEADER = "Idempotency-Key"
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
    if reason == ChangeReason.IMPORTED_FOR_REVIEW:
        return kind
    if reason == ChangeReason.IMPORT_PUBLISHED or change.action == ChangeAction.CREATED:
        return WebhookEvent.VERSION_PUBLISHED
    if "status" in fields and getattr(row, "status", None) in PUBLISHED_STATUSES:
        return WebhookEvent.VERSION_PUBLISHED
    return kind


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


class TargetRefused(ValueError):
    """A webhook address that resolves to the server's own network; the message says why."""


# In the order they are named: 169.254.169.254 is "link-local" before it is "private".
_ADDRESS_KINDS: tuple[tuple[str, str], ...] = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_reserved", "reserved"),
    ("is_private", "private"),
)


def address_problem(address: str) -> str | None:
    """Why a webhook may not go to this IP address ("loopback", "private"…), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for attribute, kind in _ADDRESS_KINDS:
        if getattr(ip, attribute):
            return kind
    return None if ip.is_global else "non-public"


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def resolve_target(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Every address `host` resolves to, each checked; TargetRefused names the first refused one.

    Raises OSError (socket.gaierror) when the name does not resolve.
    """
    if not allow_private and (host.lower() == "localhost" or host.lower().endswith(".localhost")):
        raise TargetRefused(f"{host} is a loopback name.")
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private:
        for address in addresses:
            if problem := address_problem(address):
                named = host.strip("[]")
                shown = f"{address} is" if named == address else f"{host} resolves to {address},"
                raise TargetRefused(f"{shown} a {problem} address: webhooks go to public addresses only.")
    return addresses


def check_target(url: str, *, allow_private: bool) -> None:
    """At registration: refuse an address (or a name resolving to one) of the server's own network.

    A name that does not resolve now is accepted; every delivery checks it again.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        raise TargetRefused("The address has no host name.")
    try:
        resolve_target(parts.hostname, parts.port or _default_port(parts.scheme), allow_private=allow_private)
    except OSError:
        return


@dataclass(frozen=True)
class PostResult:
    succeeded: bool
    response_code: int | None
    error: str
    duration_ms: int


class _PinnedConnection:
    """Connects to addresses checked beforehand, not to whatever the name resolves to later.
    http.client still sends the name in the Host header and, for https, in TLS SNI, and checks
    the certificate against it."""

    def __init__(self, host: str, port: int, *, addresses: list[str], **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)  # type: ignore[call-arg]

        def connect_to_checked(_address: Any, timeout: Any, source_address: Any = None) -> socket.socket:
            error: OSError | None = None
            for address in addresses:
                try:
                    return socket.create_connection((address, port), timeout, source_address)
                except OSError as refused:
                    error = refused
            raise error or OSError("No address to connect to.")

        self._create_connection = connect_to_checked


class _PinnedHTTPConnection(_PinnedConnection, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnection, http.client.HTTPSConnection):
    pass


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every webhook POST: the system's trusted CAs, the name checked."""
    return ssl.create_default_context()


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> PostResult:
    """POST once to a checked address; a 2xx answer is success, anything else (a redirect
    included: it would resend the body elsewhere) or no answer is a failure."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or _default_port(parts.scheme)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = resolve_target(host, port, allow_private=allow_private)
        if parts.scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
                host, port, addresses=addresses, timeout=timeout, context=tls_context()
            )
        else:
            connection = _PinnedHTTPConnection(host, port, addresses=addresses, timeout=timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            code, reason = response.status, response.reason
        finally:
            connection.close()
    except TargetRefused as refused:
        return PostResult(False, None, f"Refused: {refused}"[:500], elapsed())
    except (OSError, http.client.HTTPException) as error:
        return PostResult(False, None, f"{type(error).__name__}: {error}"[:500], elapsed())
    ok = 200 <= code < 300
    return PostResult(ok, code, "" if ok else f"HTTP {code} {reason}".strip()[:500], elapsed())


def payload_for(change: Change, event: str) -> dict[str, Any]:
    """The change feed's entry for this change (same shape as `/api/v1/changes/`), plus its event."""
    [entry] = feed_entries([change])
    return {**entry, "event": event}
