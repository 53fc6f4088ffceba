"""Webhooks: which changes notify whom, signed POSTs, retries with backoff, pausing, the API and admin."""

import json
import socket
import time

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from exchange import services
from exchange.choices import DeliveryStatus, SubscriptionStatus, WebhookEvent
from exchange.models import DeliveryAttempt, WebhookDelivery, WebhookSubscription
from exchange.tasks import deliver_webhook
from exchange.webhooks import IDEMPOTENCY_HEADER, event_for, sign, verify_signature
from history.feed import feed_entries
from history.models import Change
from history.writing import save_recorded
from provisions.services import provision_update
from tests.exchange.conftest import make_delivery
from tests.factories import PositionFactory, ProvisionFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db


def subscribe(url, kinds=(WebhookEvent.PROVISION_CHANGED,), **kwargs):
    return services.webhook_subscription_create(url=url, event_kinds=list(kinds), **kwargs)


def last_change(obj):
    return Change.objects.filter(record_type=obj._meta.label_lower, object_id=obj.pk).latest("id")


# --- Which change is which event ---------------------------------------------


def test_changes_map_to_the_event_kinds_consumers_subscribe_to():
    point = ProvisionFactory()
    position = PositionFactory(provision=point)
    no_status = lambda change: None  # noqa: E731
    assert event_for(last_change(point), no_status) == WebhookEvent.PROVISION_CHANGED
    assert event_for(last_change(position), no_status) == WebhookEvent.POSITION_CHANGED
    assert event_for(last_change(point.version), no_status) == WebhookEvent.VERSION_PUBLISHED  # created
    assert event_for(Change(record_type="auth.user", action="created"), no_status) is None


@pytest.mark.parametrize(
    ("status", "event"),
    [
        ("agreed", WebhookEvent.VERSION_PUBLISHED),
        ("under_negotiation", WebhookEvent.VERSION_PUBLISHED),
        ("superseded", WebhookEvent.VERSION_CHANGED),
    ],
)
def test_a_version_is_published_when_its_status_becomes_proposed_negotiated_or_agreed(status, event):
    version = VersionFactory(status="leaked")
    version.status = status
    save_recorded(version)
    assert event_for(last_change(version), services._version_state_after) == event


def test_other_version_edits_are_version_changed():
    version = VersionFactory()
    version.summary = "New summary."
    save_recorded(version)
    assert event_for(last_change(version), services._version_state_after) == WebhookEvent.VERSION_CHANGED


# --- Dispatch after commit ---------------------------------------------------


def test_nothing_is_sent_before_the_transaction_commits(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        point = ProvisionFactory()
    assert callbacks and receiver.received == [] and not WebhookDelivery.objects.exists()
    for callback in callbacks:
        callback()
    assert len(receiver.received) == 1
    assert receiver.received[0].json["record_id"] == point.pk


def test_each_matching_subscription_gets_one_delivery_sent_only_to_active_ones(
    receiver, django_capture_on_commit_callbacks
):
    wants_points = subscribe(receiver.url)
    wants_positions = subscribe(receiver.url, [WebhookEvent.POSITION_CHANGED])
    paused = subscribe(receiver.url)
    services.webhook_subscription_pause(subscription=paused, reason="test")
    receiver.secret = wants_points.secret
    with django_capture_on_commit_callbacks(execute=True):
        point = ProvisionFactory()
    deliveries = WebhookDelivery.objects.order_by("subscription_id")
    assert [(d.subscription_id, d.event, d.status) for d in deliveries] == [
        (wants_points.pk, "provision.changed", DeliveryStatus.DELIVERED),
        (paused.pk, "provision.changed", DeliveryStatus.SKIPPED),  # held until it resumes
    ]
    assert deliveries[0].change == last_change(point)
    assert not WebhookDelivery.objects.filter(subscription=wants_positions).exists()
    assert len(receiver.received) == 1


def test_with_no_subscription_a_write_costs_one_query_after_commit(django_assert_num_queries):
    ProvisionFactory()
    with django_assert_num_queries(1):
        assert services.webhooks_dispatch() == []


def test_a_delivery_is_signed_carries_the_feed_entry_and_a_stable_idempotency_key(
    receiver, django_capture_on_commit_callbacks
):
    point = ProvisionFactory()  # before the subscription: not sent to it
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    with django_capture_on_commit_callbacks(execute=True):
        provision_update(provision=point, title="Sovereignty reaffirmed")
    [got] = receiver.received
    assert got.signature_ok
    change = last_change(point)
    assert got.json == {**json.loads(json.dumps(feed_entries([change])[0])), "event": "provision.changed"}
    assert got.json["changed_fields"] == ["title"] and got.json["data"]["title"] == "Sovereignty reaffirmed"
    delivery = WebhookDelivery.objects.get()
    assert got.headers[IDEMPOTENCY_HEADER] == str(delivery.idempotency_key)
    assert got.headers["X-Accord-Event"] == "provision.changed"
    assert delivery.idempotency_key == WebhookDelivery.key_for(subscription.pk, change.pk)
    assert delivery.status == DeliveryStatus.DELIVERED
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.number, attempt.succeeded, attempt.response_code) == (1, True, 200)


def test_a_second_delivery_of_the_task_posts_nothing(receiver, django_capture_on_commit_callbacks):
    receiver.secret = subscribe(receiver.url).secret
    with django_capture_on_commit_callbacks(execute=True):
        ProvisionFactory()
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.delay(delivery.pk)
    assert len(receiver.received) == 1 and delivery.attempt_log.count() == 1


def test_signatures_refuse_tampered_bodies_wrong_secrets_and_replays():
    body = b'{"id": 1}'
    now = int(time.time())
    header = sign("s3cret", body, now)
    assert verify_signature("s3cret", header, body)
    assert not verify_signature("s3cret", header, b'{"id": 2}')
    assert not verify_signature("other", header, body)
    assert not verify_signature("s3cret", sign("s3cret", body, now - 600), body)  # a replay, 10 minutes later
    assert not verify_signature("s3cret", "garbage", body)


# --- Failures, retries, pausing ----------------------------------------------


def test_failed_attempts_are_logged_and_retried_with_exponential_backoff(failing_receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    subscription = subscribe(failing_receiver.url)
    failing_receiver.secret = subscription.secret
    delivery = make_delivery(subscription)
    waits = [services.webhook_deliver(delivery_id=delivery.pk).retry_in for _ in range(4)]
    assert waits == [30, 60, 120, None]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 4
    assert [(a.number, a.response_code, a.succeeded) for a in delivery.attempt_log.all()] == [
        (1, 503, False), (2, 503, False), (3, 503, False), (4, 503, False),
    ]  # fmt: skip
    assert delivery.attempt_log.first().error == "HTTP 503 Service Unavailable"
    assert len(failing_receiver.received) == 4 and all(r.signature_ok for r in failing_receiver.received)
    # The same key on every attempt, so the consumer can drop repeats.
    assert len({r.headers[IDEMPOTENCY_HEADER] for r in failing_receiver.received}) == 1


def test_backoff_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 100
    assert [services._backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_failed_attempts_that_will_be_retried_never_pause_a_subscription(failing_receiver, settings):
    # A burst of changes to a receiver down for a moment: many failed attempts, none given up.
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscription = subscribe(failing_receiver.url)
    failing_receiver.secret = subscription.secret
    burst = [make_delivery(subscription) for _ in range(5)]
    for delivery in burst:
        services.webhook_deliver(delivery_id=delivery.pk)
        services.webhook_deliver(delivery_id=delivery.pk)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.failure_count == 0
    assert {d.status for d in WebhookDelivery.objects.all()} == {DeliveryStatus.RETRYING}


def test_deliveries_given_up_in_a_row_pause_the_subscription_and_later_ones_are_held(failing_receiver, settings):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscription = subscribe(failing_receiver.url)
    failing_receiver.secret = subscription.secret
    first, second = make_delivery(subscription), make_delivery(subscription)
    for delivery in (first, second):
        services.webhook_deliver(delivery_id=delivery.pk)
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE  # a retry is still due
        assert services.webhook_deliver(delivery_id=delivery.pk).retry_in is None  # given up
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAUSED and subscription.failure_count == 2
    assert subscription.paused_reason == (
        "Paused after 2 deliveries in a row failed all 2 attempts (last: HTTP 503 Service Unavailable)."
    )
    later = make_delivery(subscription)
    services.webhook_deliver(delivery_id=later.pk)
    later.refresh_from_db()
    assert later.status == DeliveryStatus.SKIPPED and later.attempts == 0
    assert len(failing_receiver.received) == 4


def test_a_success_resets_the_count_of_deliveries_given_up(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    receiver.codes = [500, 500]
    services.webhook_deliver(delivery_id=make_delivery(subscription).pk)
    services.webhook_deliver(delivery_id=make_delivery(subscription).pk)
    subscription.refresh_from_db()
    assert subscription.failure_count == 2
    services.webhook_deliver(delivery_id=make_delivery(subscription).pk)
    subscription.refresh_from_db()
    assert subscription.failure_count == 0 and subscription.last_success_at is not None


def test_changes_made_while_paused_are_sent_in_order_on_resume(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    services.webhook_subscription_pause(subscription=subscription, reason="maintenance")
    points = []
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            points.append(ProvisionFactory(title=f"Point {n}"))
    assert receiver.received == []
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SKIPPED).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_subscription_resume(subscription=subscription) == 3
    assert [r.json["record_id"] for r in receiver.received] == [p.pk for p in points]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_resuming_resends_what_the_subscription_missed(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    missed = make_delivery(subscription)
    WebhookDelivery.objects.filter(pk=missed.pk).update(status=DeliveryStatus.SKIPPED)
    services.webhook_subscription_pause(subscription=subscription, reason="receiver down")
    with django_capture_on_commit_callbacks(execute=True):
        resent = services.webhook_subscription_resume(subscription=subscription)
    assert resent == 1
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.failure_count == 0
    missed.refresh_from_db()
    assert missed.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1


def test_a_receiver_that_does_not_answer_is_a_logged_failure_without_a_code(settings, loopback_targets):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscription = subscribe(f"http://127.0.0.1:{port}/hook")
    delivery = make_delivery(subscription)
    assert services.webhook_deliver(delivery_id=delivery.pk).retry_in == settings.WEBHOOK_RETRY_BASE_SECONDS
    attempt = delivery.attempt_log.get()
    assert attempt.response_code is None and "Connection refused" in attempt.error


def test_inline_mode_tries_once_and_leaves_the_retry_to_a_worker(failing_receiver):
    failing_receiver.secret = subscribe(failing_receiver.url).secret
    delivery = make_delivery(WebhookSubscription.objects.get())
    assert deliver_webhook.delay(delivery.pk).get() == "retry later"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.attempts == 1


@pytest.fixture
def silent_receiver(loopback_targets):
    """A receiver that accepts connections and never answers (a hung consumer)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(50)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"


def test_inline_mode_waits_briefly_and_once_per_hung_receiver(
    silent_receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_EAGER_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_TIMEOUT_SECONDS = 30
    subscribe(silent_receiver)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        ProvisionFactory.create_batch(4)  # one transaction, four changes
    elapsed = time.monotonic() - started
    assert elapsed < 5  # one short wait, not four 30-second ones
    statuses = list(WebhookDelivery.objects.order_by("change_id").values_list("status", "attempts"))
    assert statuses[0] == (DeliveryStatus.RETRYING, 1)
    assert statuses[1:] == [(DeliveryStatus.PENDING, 0)] * 3  # left for a worker's sweep
    assert "timed out" in DeliveryAttempt.objects.get().error


def test_with_the_broker_down_deliveries_wait_and_a_sweep_sends_them_later(
    receiver, dead_broker, django_capture_on_commit_callbacks
):
    receiver.secret = subscribe(receiver.url).secret
    with django_capture_on_commit_callbacks(execute=True):
        point = ProvisionFactory()  # the edit itself succeeds
    assert point.pk and WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert receiver.received == []


def test_the_sweep_requeues_old_pending_deliveries(receiver):
    from datetime import timedelta

    from django.utils import timezone

    receiver.secret = subscribe(receiver.url).secret
    delivery = make_delivery(WebhookSubscription.objects.get())
    assert services.webhooks_requeue_stalled() == 0  # too recent: the first send may still be on its way
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert services.webhooks_requeue_stalled() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1


# --- Subscriptions: validation, API, admin -----------------------------------


@pytest.mark.parametrize(
    ("url", "kinds", "field"),
    [
        ("ftp://example.org/hook", ["provision.changed"], "url"),
        ("https://example.org/hook", [], "event_kinds"),
        ("https://example.org/hook", ["provision.exploded"], "event_kinds"),
    ],
)
def test_bad_subscriptions_are_refused(url, kinds, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.webhook_subscription_create(url=url, event_kinds=kinds)
    assert field in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


def test_production_requires_https(settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ValidationError, match="https://"):
        services.webhook_subscription_create(url="http://example.org/hook", event_kinds=["provision.changed"])


@pytest.fixture
def token_client(editor):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    return client


def test_the_api_creates_a_subscription_and_shows_its_secret_once(token_client):
    response = token_client.post(
        "/api/v1/webhooks/",
        {"url": "https://consumer.example/hook", "event_kinds": ["provision.changed", "version.published"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = WebhookSubscription.objects.get()
    assert response.json()["secret"] == created.secret and len(created.secret) == 64
    assert response.json()["status"] == "active"
    shown = token_client.get(f"/api/v1/webhooks/{created.pk}/").json()
    assert "secret" not in shown and shown["event_kinds"] == ["provision.changed", "version.published"]
    assert "secret" not in token_client.get("/api/v1/webhooks/").json()["results"][0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://consumer.example/hook", "event_kinds": []}, "event_kinds"),
        ({"url": "https://consumer.example/hook", "event_kinds": ["nope"]}, "event_kinds"),
        ({"url": "not a url", "event_kinds": ["provision.changed"]}, "url"),
    ],
)
def test_the_api_refuses_bad_subscriptions_with_a_400(token_client, payload, field):
    response = token_client.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_the_api_is_for_editors_only(client):
    assert client.get("/api/v1/webhooks/").status_code == 401
    client.force_login(UserFactory())
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.post("/api/v1/webhooks/", {}, content_type="application/json").status_code == 403


def test_the_api_resumes_pauses_and_rotates(token_client):
    subscription = subscribe("https://consumer.example/hook")
    old_secret = subscription.secret
    assert token_client.post(f"/api/v1/webhooks/{subscription.pk}/pause/").json()["status"] == "paused"
    assert token_client.post(f"/api/v1/webhooks/{subscription.pk}/resume/").json()["status"] == "active"
    rotated = token_client.post(f"/api/v1/webhooks/{subscription.pk}/rotate-secret/").json()
    assert rotated["secret"] != old_secret
    changed = token_client.patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"event_kinds": ["position.changed"]}, format="json"
    )
    assert changed.json()["event_kinds"] == ["position.changed"]


def test_the_api_list_runs_a_fixed_number_of_queries(token_client, django_assert_max_num_queries):
    for n in range(2):
        subscribe(f"https://consumer.example/{n}")
    with django_assert_max_num_queries(8) as small:
        assert token_client.get("/api/v1/webhooks/").status_code == 200
    for n in range(30):
        subscribe(f"https://consumer.example/more-{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(token_client.get("/api/v1/webhooks/").json()["results"]) == 32


def test_the_admin_shows_the_secret_once_on_creation(editor_client):
    response = editor_client.post(
        reverse("admin:exchange_webhooksubscription_add"),
        {"url": "https://consumer.example/hook", "description": "Newsroom", "event_kinds": ["provision.changed"]},
        follow=True,
    )
    subscription = WebhookSubscription.objects.get()
    page = response.content.decode()
    assert f"Signing secret (shown once, store it now): {subscription.secret}" in page
    detail = editor_client.get(reverse("admin:exchange_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret not in detail.content.decode()


def test_the_admin_warns_about_paused_subscriptions_and_logs_attempts(editor_client, failing_receiver, settings):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = subscribe(failing_receiver.url, description="Newsroom")
    failing_receiver.secret = subscription.secret
    delivery = make_delivery(subscription)
    services.webhook_deliver(delivery_id=delivery.pk)
    page = editor_client.get(reverse("admin:exchange_webhooksubscription_changelist")).content.decode()
    assert "1 subscription(s) paused after repeated failed deliveries" in page
    assert "Paused: Paused after 1 deliveries in a row failed all 1 attempts" in page
    log = editor_client.get(reverse("admin:exchange_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "HTTP 503 Service Unavailable" in log
    listing = editor_client.get(reverse("admin:exchange_webhookdelivery_changelist")).content.decode()
    assert "503" in listing


def test_the_admin_resume_action(editor_client):
    subscription = subscribe("https://consumer.example/hook")
    services.webhook_subscription_pause(subscription=subscription, reason="test")
    editor_client.post(
        reverse("admin:exchange_webhooksubscription_changelist"),
        {"action": "resume_selected", "index": 0, "_selected_action": [subscription.pk]},
    )
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_the_admin_change_of_a_subscription_goes_through_the_service(editor_client, monkeypatch):
    subscription = subscribe("https://consumer.example/hook")
    calls = []
    original = services.webhook_subscription_update
    monkeypatch.setattr(services, "webhook_subscription_update", lambda **kw: calls.append(kw) or original(**kw))
    response = editor_client.post(
        reverse("admin:exchange_webhooksubscription_change", args=[subscription.pk]),
        {"url": "https://consumer.example/new", "description": "Newsroom", "event_kinds": ["position.changed"]},
    )
    assert response.status_code == 302
    assert [sorted(call) for call in calls] == [["description", "event_kinds", "subscription", "url"]]
    subscription.refresh_from_db()
    assert (subscription.url, subscription.event_kinds) == ("https://consumer.example/new", ["position.changed"])
