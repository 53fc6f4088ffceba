"""Sending tasks to the broker after commit, and saying so when the broker is down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

QUEUE_FAILED_MESSAGE = "The job could not be queued: the task broker is unreachable. Try again in a few minutes."


def enqueue(task: Task, *args: Any) -> bool:
    """Send `task(*args)` now; False (and a log line) if the broker cannot be reached.

    The connection timeout and publish retries are short (settings), so a broken
    broker costs a request a second or two, never a hang or a 500.
    """
    try:
        task.delay(*args)
    except BrokerError as error:
        logger.warning("Could not queue %s%s: %s", task.name, args, error)
        return False
    return True


def enqueue_on_commit(
    task: Task, *args: Any, on_failure: Callable[[], None] | None = None, using: str | None = None
) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one).

    Tasks take ids, so the worker must never see them before the rows exist.
    `on_failure` runs if the broker refuses, e.g. to mark the job "could not be queued".
    """

    def send() -> None:
        if not enqueue(task, *args) and on_failure is not None:
            on_failure()

    transaction.on_commit(send, using=using)
