"""Concurrent writers over the API, on PostgreSQL with real transactions and one
connection per thread: no deadlock reaches the client as a 500 (one lock order,
history/locking.py), and a write that keeps losing is retried, then a 503."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from psycopg import errors as pg_errors
from rest_framework.test import APIClient

from api.concurrency import ConditionalModelMixin
from history import locking
from history.locking import run_write
from provisions.models import Provision, Version
from tests.factories import (
    ActorFactory,
    DispositionFactory,
    PlanFactory,
    PositionFactory,
    ProvisionFactory,
    SourceFactory,
    UserFactory,
    VersionFactory,
)

committed = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row and advisory locks and concurrent connections (run with DATABASE_URL)",
)

ROUNDS = 3
POINTS = 6


@pytest.fixture
def editor(db):
    """Someone allowed to write (a superuser: a transactional test's flush drops the Editors group)."""
    return UserFactory(username="writer", is_staff=True, is_superuser=True)


def _editor_client(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


def _run_together(jobs) -> list:
    """Run each job in its own thread (its own connection), released at once; collect
    (status, detail) or the exception a job raised (the test client re-raises server errors)."""
    results: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:  # a server error: what the test is about
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return results


def _scene(editor):
    """A version with points that carry dispositions and stances, as the report had it."""
    source = SourceFactory()
    actor = ActorFactory()
    version = VersionFactory(plan=PlanFactory())
    points = [ProvisionFactory(version=version, number=str(n + 1)) for n in range(POINTS)]
    for point in points:
        DispositionFactory(provision=point)
        PositionFactory(actor=actor, provision=point, sources=[source])
    return version, points


@on_postgresql
@committed
def test_deleting_a_version_while_its_points_are_edited_never_answers_a_server_error(editor, settings):
    # No retry: the lock order alone must keep these writers from deadlocking (a 503 would count).
    settings.WRITE_RETRY_ATTEMPTS = 1
    failures = []
    for _ in range(ROUNDS):
        version, points = _scene(editor)
        client = _editor_client(editor)
        etags = {point.pk: client.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"] for point in points}
        version_etag = client.get(f"/api/v1/versions/{version.pk}/").headers["ETag"]

        def delete_version(version=version, etag=version_etag):
            response = _editor_client(editor).delete(f"/api/v1/versions/{version.pk}/", HTTP_IF_MATCH=etag)
            return response.status_code

        def edit_point(point, etag, delete):
            url = f"/api/v1/provisions/{point.pk}/"
            client = _editor_client(editor)
            if delete:
                return client.delete(url, HTTP_IF_MATCH=etag).status_code
            return client.patch(url, {"title": "Edited meanwhile"}, format="json", HTTP_IF_MATCH=etag).status_code

        jobs = [delete_version] + [
            (lambda p=point, e=etags[point.pk], d=index % 2 == 1: edit_point(p, e, d))
            for index, point in enumerate(points)
        ]
        results = _run_together(jobs)
        failures += [result for result in results if isinstance(result, Exception) or result >= 500]
        # Each write either happened before the version went (200/204) or found it gone (404);
        # the version delete itself went through.
        assert results[0] == 204, results
        assert all(result in (200, 204, 404) for result in results[1:]), results
        assert not Version.objects.filter(pk=version.pk).exists()
        assert not Provision.objects.filter(version_id=version.pk).exists()
    assert failures == []


@on_postgresql
@committed
def test_a_point_write_locks_the_point_and_never_its_version(editor, monkeypatch):
    """`SELECT … FOR UPDATE` on a point used to join (and lock) its version row for the
    model's ordering: while a point write holds its lock, the version stays free."""
    version = VersionFactory()
    point = ProvisionFactory(version=version)
    client = _editor_client(editor)
    etag = client.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"]
    locked, release = threading.Event(), threading.Event()
    real = ConditionalModelMixin._locked_object

    def lock_and_hold(self, request):
        instance = real(self, request)
        locked.set()
        release.wait(10)
        return instance

    monkeypatch.setattr(ConditionalModelMixin, "_locked_object", lock_and_hold)

    def write_the_point():
        url = f"/api/v1/provisions/{point.pk}/"
        return client.patch(url, {"title": "Held"}, format="json", HTTP_IF_MATCH=etag).status_code

    def try_the_version():
        assert locked.wait(10)
        try:
            with transaction.atomic():
                list(Version.objects.select_for_update(nowait=True).filter(pk=version.pk).order_by())
            return "free"
        except OperationalError:
            return "locked"
        finally:
            release.set()

    assert _run_together([write_the_point, try_the_version]) == [200, "free"]


@on_postgresql
@committed
def test_a_write_that_loses_a_deadlock_is_run_again_from_the_start():
    attempts = []

    def write():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("deadlock detected") from pg_errors.DeadlockDetected("deadlock detected")
        return ProvisionFactory().pk

    pk = run_write(write)
    assert len(attempts) == 3 and Provision.objects.filter(pk=pk).exists()


@on_postgresql
@committed
def test_a_write_that_keeps_losing_answers_503_with_retry_after(editor, monkeypatch, settings):
    settings.WRITE_RETRY_ATTEMPTS = 2
    point = ProvisionFactory()
    client = _editor_client(editor)
    etag = client.get(f"/api/v1/provisions/{point.pk}/").headers["ETag"]
    calls = []
    real_lock = locking.lock_change_log

    def lock_then_lose(using="default"):
        real_lock(using)
        calls.append(1)
        raise OperationalError("could not serialize access") from pg_errors.SerializationFailure("serialization")

    monkeypatch.setattr(locking, "lock_change_log", lock_then_lose)
    response = client.patch(f"/api/v1/provisions/{point.pk}/", {"title": "Never"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(settings.WRITE_RETRY_AFTER_SECONDS)
    assert "nothing was saved" in response.json()["detail"]
    assert len(calls) == 2
    point.refresh_from_db()
    assert point.title != "Never"
