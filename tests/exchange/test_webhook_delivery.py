"""Webhook delivery guarantees: no change lost when subscriptions come and go (each follows
the change log with its own cursor), no double POST and no settled delivery undone
(claimed and re-checked under its row lock), an idempotency key on every POST."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from exchange import services, webhooks
from exchange.choices import DeliveryStatus, SubscriptionStatus, WebhookEvent
from exchange.models import WebhookDelivery, WebhookSubscription
from history.models import Change
from provisions.services import provision_update
from tests.exchange.conftest import make_delivery
from tests.factories import ProvisionFactory, VersionFactory

committed = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers (run with DATABASE_URL)"
)


def subscribe(url, kinds=(WebhookEvent.PROVISION_CHANGED,)):
    return services.webhook_subscription_create(url=url, event_kinds=list(kinds))


def provision_changes_after(cursor):
    return set(Change.objects.filter(id__gt=cursor, record_type="provisions.provision").values_list("id", flat=True))


def received_change_ids(receiver):
    return [item.json["id"] for item in receiver.received]


# --- Item 2: a subscription's changes cannot be lost -------------------------


@committed
def test_a_subscription_deleted_during_a_dispatch_costs_the_others_nothing(receiver, monkeypatch):
    stable = subscribe(receiver.url)
    receiver.secret = stable.secret
    doomed = subscribe(receiver.url)
    real_event_for = webhooks.event_for

    def delete_the_other_subscription(change, state_after):
        # An editor deletes a subscription while the dispatch of a change runs.
        WebhookSubscription.objects.filter(pk=doomed.pk).delete()
        return real_event_for(change, state_after)

    version = VersionFactory()
    monkeypatch.setattr(webhooks, "event_for", delete_the_other_subscription)
    point = ProvisionFactory(version=version)  # committed: the dispatch runs at once
    assert [item.json["record_id"] for item in receiver.received] == [point.pk]
    assert WebhookDelivery.objects.get(subscription=stable).status == DeliveryStatus.DELIVERED


@committed
def test_changes_whose_dispatch_never_ran_are_delivered_by_the_sweep(receiver, monkeypatch):
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    # The process dies between the commit and the dispatch: nothing but the change log is written.
    monkeypatch.setattr(services, "webhooks_dispatch", lambda **kwargs: [])
    points = [ProvisionFactory() for _ in range(3)]
    assert not WebhookDelivery.objects.exists()
    monkeypatch.undo()
    assert services.webhooks_requeue_stalled() == 3
    assert [item.json["record_id"] for item in receiver.received] == [p.pk for p in points]


@committed
def test_a_new_subscription_follows_the_change_log_from_its_registration(receiver):
    ProvisionFactory()  # before: not sent
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    point = ProvisionFactory()
    assert [item.json["record_id"] for item in receiver.received] == [point.pk]
    subscription.refresh_from_db()
    assert subscription.cursor == Change.objects.latest("id").pk


@on_postgresql
@committed
def test_a_stable_subscriber_gets_every_change_while_others_subscribe_and_unsubscribe(receiver, other_receiver):
    stable = subscribe(receiver.url)
    receiver.secret = stable.secret
    start = Change.objects.aggregate(last=Max("id"))["last"] or 0
    points = ProvisionFactory.create_batch(3)
    writes_per_editor = 10
    errors = []
    done = threading.Event()

    def editor(point):
        try:
            for n in range(writes_per_editor):
                provision_update(provision=point, title=f"{point.pk} draft {n}")
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def churn():
        # Another consumer registers and deletes subscriptions all the while.
        try:
            while not done.is_set():
                WebhookSubscription.objects.filter(pk=subscribe(other_receiver.url).pk).delete()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    churner = threading.Thread(target=churn)
    churner.start()
    editors = [threading.Thread(target=editor, args=(point,)) for point in points]
    for thread in editors:
        thread.start()
    for thread in editors:
        thread.join(60)
    done.set()
    churner.join(60)
    assert errors == []
    services.webhooks_dispatch()  # whatever a dispatch still had in hand
    expected = provision_changes_after(start)
    assert len(expected) == 3 + 3 * writes_per_editor
    delivered = set(
        WebhookDelivery.objects.filter(subscription=stable, status=DeliveryStatus.DELIVERED).values_list(
            "change_id", flat=True
        )
    )
    assert delivered == expected
    assert sorted(received_change_ids(receiver)) == sorted(expected)  # each exactly once
    assert all(item.signature_ok for item in receiver.received)


@on_postgresql
@committed
@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_deleting_a_subscription_waits_for_a_follow_that_is_adding_its_deliveries(how):
    """A follow adds deliveries under the subscription's row lock. A delete that collected the
    deliveries before the follow committed, then deleted the subscription, failed its commit on
    the new delivery's foreign key (an IntegrityError, a 500 for the consumer deleting)."""
    subscription = subscribe("https://consumer.example/hook")
    change = Change.objects.create(
        record_type="provisions.provision", object_id=1, action="created", history_id=1, changed_at=timezone.now()
    )
    following = threading.Event()
    errors = []

    def follow():
        # What `webhook_subscription_follow` does, paused while it holds the lock.
        try:
            with transaction.atomic():
                WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
                following.set()
                time.sleep(0.5)  # the delete starts meanwhile
                WebhookDelivery.objects.create(
                    subscription_id=subscription.pk,
                    change=change,
                    event=WebhookEvent.PROVISION_CHANGED,
                    idempotency_key=WebhookDelivery.key_for(subscription.pk, change.pk),
                )
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    follower = threading.Thread(target=follow)
    follower.start()
    assert following.wait(10)
    if how == "instance":
        WebhookSubscription.objects.get(pk=subscription.pk).delete()
    else:
        WebhookSubscription.objects.filter(pk=subscription.pk).delete()
    follower.join(10)
    assert errors == []
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert not WebhookDelivery.objects.exists()


# --- Item 3: no double POST, no settled delivery undone ----------------------


@pytest.mark.django_db
def test_a_redelivered_task_posts_nothing_while_the_first_post_is_on_the_wire(monkeypatch):
    subscription = subscribe("https://consumer.example/hook")
    delivery = make_delivery(subscription)
    posts = []

    def post(url, body, headers, **kwargs):
        posts.append(headers)
        if len(posts) == 1:
            # While this POST waits for its answer, the broker hands the task to another worker.
            assert services.webhook_deliver(delivery_id=delivery.pk).done
        return webhooks.PostResult(True, 200, "", 5)

    monkeypatch.setattr(webhooks, "post", post)
    services.webhook_deliver(delivery_id=delivery.pk)
    assert len(posts) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sending_since) == (DeliveryStatus.DELIVERED, 1, None)


@pytest.mark.django_db
def test_a_late_failure_never_undoes_a_delivery_nor_pauses_the_subscription(monkeypatch, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    subscription = subscribe("https://consumer.example/hook")
    delivery = make_delivery(subscription)
    answers = []

    def post(url, body, headers, **kwargs):
        answers.append(headers)
        if len(answers) == 1:
            # This POST hangs past its lease; the sweep takes the delivery over and delivers it.
            settings.WEBHOOK_TIMEOUT_SECONDS = -30
            services.webhook_deliver(delivery_id=delivery.pk)
            settings.WEBHOOK_TIMEOUT_SECONDS = 10
            return webhooks.PostResult(False, None, "TimeoutError: timed out", 10_000)
        return webhooks.PostResult(True, 200, "", 5)

    monkeypatch.setattr(webhooks, "post", post)
    outcome = services.webhook_deliver(delivery_id=delivery.pk)
    assert outcome.done and outcome.retry_in is None
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (subscription.status, subscription.failure_count) == (SubscriptionStatus.ACTIVE, 0)
    # Both attempts are in the log, in the order they ended.
    assert list(delivery.attempt_log.values_list("number", "succeeded")) == [(1, True), (2, False)]


@pytest.mark.django_db
def test_every_post_carries_the_idempotency_key_under_both_header_names(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscription = subscribe(receiver.url)
    receiver.secret = subscription.secret
    receiver.codes = [503, 503]
    delivery = make_delivery(subscription)
    for _ in range(3):
        services.webhook_deliver(delivery_id=delivery.pk)
    keys = {(item.headers["Idempotency-Key"], item.headers["X-Accord-Idempotency-Key"]) for item in receiver.received}
    assert len(receiver.received) == 3
    assert keys == {(str(delivery.idempotency_key), str(delivery.idempotency_key))}


@on_postgresql
@committed
def test_two_workers_sending_one_delivery_at_once_post_it_once(receiver):
    point = ProvisionFactory()
    subscription = subscribe(receiver.url)  # after the point: its follow creates nothing
    receiver.secret = subscription.secret
    receiver.delay = 0.5  # a slow consumer: both workers start before the first POST ends
    change = Change.objects.filter(record_type="provisions.provision", object_id=point.pk).latest("id")
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        change=change,
        event=WebhookEvent.PROVISION_CHANGED,
        idempotency_key=WebhookDelivery.key_for(subscription.pk, change.pk),
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(services.webhook_deliver(delivery_id=delivery.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert sorted(outcome.delivered for outcome in outcomes) == [False, True]
