"""Fixtures for imports, webhooks and snapshots: fixture texts, a local webhook
receiver, and control of where Celery sends tasks (inline, a dead broker, or a
real worker on the machine's Redis)."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from config.celery import app as celery_app
from exchange.webhooks import SIGNATURE_HEADER, verify_signature
from tests.conftest import SharedLoad, shared_load

FIXTURES = Path(__file__).with_name("fixtures")
# The machine's Redis; CI sets CELERY_BROKER_URL to its own database.
INTEGRATION_BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/5"
DEAD_BROKER = "redis://127.0.0.1:1/0"
SERVER_POLL = 0.01  # seconds between a test receiver's checks for shutdown()


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def make_delivery(subscription: Any) -> Any:
    """A pending delivery of a new point's creation to `subscription`, written directly."""
    from exchange.choices import WebhookEvent
    from exchange.models import WebhookDelivery
    from history.models import Change
    from tests.factories import ProvisionFactory

    point = ProvisionFactory()
    change = Change.objects.filter(record_type="provisions.provision", object_id=point.pk).latest("id")
    return WebhookDelivery.objects.create(
        subscription=subscription,
        change=change,
        event=WebhookEvent.PROVISION_CHANGED,
        idempotency_key=WebhookDelivery.key_for(subscription.pk, change.pk),
    )


def import_draft_28() -> Any:
    """The 28-point draft imported as a version of its own plan (slug `us-plan`)."""
    from provisions.importing import import_text
    from tests.factories import PlanFactory

    plan = PlanFactory(slug="us-plan", name="US plan")
    return import_text(
        plan=plan, label="28-point draft", dated=datetime.date(2025, 11, 20), text=fixture_text("draft_28_points.txt")
    ).version


@pytest.fixture(scope="module")
def _draft_28_in_module(_shared_loads: None, django_db_blocker: Any) -> SharedLoad:
    return shared_load(django_db_blocker, "draft_28", import_draft_28)


@pytest.fixture
def draft_28(request: pytest.FixtureRequest, _draft_28_in_module: SharedLoad, db: None) -> Any:
    """`import_draft_28()`, imported once per module (and xdist worker) and shared (see `SharedLoad`)."""
    return _draft_28_in_module.copy_for(request, import_draft_28)


def _reset_producer_pools() -> None:
    # The app caches its producer pool; forget it so the next send uses the current broker URL
    # (kombu keeps one pool per URL, so the old one stays usable for whoever returns to it).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # The default queue and routes are cached the first time a task is sent.
    for name in ("queues", "default_queue", "router"):
        celery_app.amqp.__dict__.pop(name, None)
    celery_app.amqp._rtable = None


def broker(url: str) -> dict[str, str]:
    # Celery prefers the CELERY_BROKER_URL environment variable (set in CI) to `broker_url`;
    # the read and write URLs win over both.
    return {"broker_url": url, "broker_read_url": url, "broker_write_url": url}


@contextmanager
def celery_settings(**overrides: Any) -> Iterator[None]:
    conf = celery_app.conf
    saved = {key: conf[key] for key in overrides}
    conf.update(overrides)
    _reset_producer_pools()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_producer_pools()


@pytest.fixture(autouse=True)
def _hermetic_dns(no_dns: None) -> None:
    """No test of imports, webhooks or snapshots sends a DNS query (see `no_dns`)."""


@pytest.fixture(autouse=True)
def eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run inline, whatever the environment says (CI sets a broker URL)."""
    from exchange.services import _inline_failures

    _inline_failures.clear()  # no test inherits another's failed receivers
    if request.node.get_closest_marker("integration"):
        yield
        return
    with celery_settings(task_always_eager=True, task_eager_propagates=True):
        yield


@pytest.fixture
def dead_broker() -> Iterator[None]:
    """A broker URL nothing listens on: every enqueue fails fast."""
    with celery_settings(task_always_eager=False, **broker(DEAD_BROKER), broker_connection_timeout=1):
        yield


# One private queue per test run: the app keeps the queues it has declared, and
# other workers on the same Redis never see these tasks.
TEST_QUEUE = f"accord-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def _forget_test_queue() -> Iterator[None]:
    yield
    import redis

    try:
        client = redis.Redis.from_url(INTEGRATION_BROKER, socket_connect_timeout=1)
        client.delete(TEST_QUEUE, f"_kombu.binding.{TEST_QUEUE}", f"_kombu.binding_permanent.{TEST_QUEUE}")
    except redis.exceptions.ConnectionError:
        pass


@pytest.fixture
def celery_worker_on_redis(transactional_db: None, _forget_test_queue: None) -> Iterator[Any]:
    """A real Celery worker (thread, solo pool) consuming a private queue on the real Redis."""
    import redis
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    try:
        redis.Redis.from_url(INTEGRATION_BROKER, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is unreachable at {INTEGRATION_BROKER}: the real-worker tests need it.")

    def close_worker_connections(**kwargs: Any) -> None:
        # The worker thread must not keep database sessions open past the test.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with (
            celery_settings(task_always_eager=False, **broker(INTEGRATION_BROKER), task_default_queue=TEST_QUEUE),
            start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING") as worker,
        ):
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook consumer on 127.0.0.1: checks each signature, answers with the codes given."""

    url: str = ""
    secret: str = ""
    codes: list[int] = field(default_factory=list)  # answers in turn; 200 once they run out
    default_code: int = 200
    delay: float = 0.0  # seconds before answering (a slow consumer)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self.lock:
            ok = verify_signature(self.secret, headers.get(SIGNATURE_HEADER, ""), body)
            self.received.append(Received(headers, body, ok))
            if not ok:
                return 401
            return self.codes.pop(0) if self.codes else self.default_code


def _serve(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = receiver.answer(dict(self.headers.items()), body)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    # shutdown() waits for the serving loop to notice, which it checks every poll interval
    # (0.5 s by default): half a second of every test's teardown.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback_targets(settings: Any) -> None:
    """Webhooks may reach 127.0.0.1, where the test receivers listen (refused by default)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver(loopback_targets: None) -> Iterator[Receiver]:
    yield from _serve(Receiver())


@pytest.fixture
def other_receiver(loopback_targets: None) -> Iterator[Receiver]:
    """A second consumer, for subscriptions a test does not check."""
    yield from _serve(Receiver())


@pytest.fixture
def failing_receiver(loopback_targets: None) -> Iterator[Receiver]:
    yield from _serve(Receiver(default_code=503))


@pytest.fixture
def editors_group(db: None) -> None:
    """The Editors group, also after a transactional test flushed the migration's rows."""
    from django.contrib.auth.models import Group, Permission

    from editors.permissions import EDITORS_GROUP, editor_permission_codenames

    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    for app_label, codename in editor_permission_codenames():
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
