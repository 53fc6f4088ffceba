"""Sending tasks to the broker after commit, and saying so when the broker is down.

Services name the task they queue (`TaskName`) instead of importing `tasks`, which
imports the services: the tasks call the services, never the reverse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

QUEUE_FAILED_MESSAGE = "The job could not be queued: the task broker is unreachable. Try again in a few minutes."


class TaskName:
    """The tasks of `exchange.tasks`, by their registered names (the tasks use these names)."""

    RUN_IMPORT = "exchange.tasks.run_import"
    DELIVER_WEBHOOK = "exchange.tasks.deliver_webhook"
    MAKE_SNAPSHOT = "exchange.tasks.make_snapshot"


def task_named(name: str) -> Task:
    return current_app.tasks[name]


def runs_inline() -> bool:
    """True in the embedded mode (no broker): a task runs in the caller's process at once."""
    return bool(current_app.conf.task_always_eager)


def enqueue(task_name: str, *args: Any) -> bool:
    """Send the task `task_name(*args)` now; False (and a log line) if the broker cannot be reached.

    The connection timeout and publish retries are short (settings), so a broken
    broker costs a request a second or two, never a hang or a 500.
    """
    try:
        task_named(task_name).delay(*args)
    except BrokerError as error:
        logger.warning("Could not queue %s%s: %s", task_name, args, error)
        return False
    return True


def enqueue_on_commit(
    task_name: str, *args: Any, on_failure: Callable[[], None] | None = None, using: str | None = None
) -> None:
    """Send the task `task_name(*args)` once the current transaction commits (at once outside one).

    Tasks take ids, so the worker must never see them before the rows exist.
    `on_failure` runs if the broker refuses, e.g. to mark the job "could not be queued".
    """

    def send() -> None:
        if not enqueue(task_name, *args) and on_failure is not None:
            on_failure()

    transaction.on_commit(send, using=using)
