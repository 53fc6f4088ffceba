"""One lock order for every write of editorial records, and a retry for the write that loses anyway.

The change log's ids must grow in commit order, so a transaction that appends to it
holds one PostgreSQL advisory lock until it commits (`recording.py`). When that lock
was taken mid-transaction, a writer holding a row lock could wait for it while its
holder waited for the row: a deadlock, answered 500. So every writer follows one order:

1. the change-log lock, before any row lock (`lock_change_log`: explicit in the API's
   write views and bulk writes, and from the pre_save / pre_delete / m2m signals of
   every recorded model, so the admin and the services follow it without a call);
2. then the rows it writes, one by one or by primary key, never rows of a joined table
   (`select_for_update(of=("self",))`).

Writers that follow it queue on the first lock and never hold a row another one waits
for. Whatever still deadlocks (a writer outside the rules, PostgreSQL's own choices)
or fails to serialize is retried as a whole transaction by `run_write`, a few times
with a short random pause; only then does the caller hear `WriteContention` (the API
answers 503 with Retry-After). SQLite serializes writers by itself, but a writer can still
find the database or one of its tables locked by another connection (SQLITE_BUSY once the busy
timeout is spent; SQLITE_LOCKED on a shared cache, where a reader's table lock fails a writer at
once): waiting inside the transaction cannot help, running it again can, so those are retried too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections, transaction

T = TypeVar("T")

# Any constant will do: every writer of the change log takes this lock.
CHANGE_LOG_LOCK = 7_401_202_511

# PostgreSQL SQLSTATEs after which running the whole transaction again can succeed.
RETRYABLE_SQLSTATES = {"40P01": "deadlock detected", "40001": "serialization failure"}
# SQLite's primary result codes (the low byte of the extended code Python reports) likewise.
RETRYABLE_SQLITE_CODES = {5: "database busy", 6: "database table locked"}


class WriteContention(Exception):
    """A write lost to concurrent writers (deadlock, serialization failure, SQLite lock) on every attempt."""

    def __init__(self, attempts: int, reason: str) -> None:
        self.attempts = attempts
        self.reason = reason
        self.retry_after = settings.WRITE_RETRY_AFTER_SECONDS
        super().__init__(f"{reason} on {attempts} attempt(s)")


def _change_log_locked() -> None:
    """A no-op on-commit callback: its presence in the connection's list marks the lock
    as held by the current transaction. Django drops it exactly when PostgreSQL releases
    the lock (commit, rollback, or a rollback to a savepoint taken before it)."""


def holds_change_log_lock(using: str = "default") -> bool:
    return any(func is _change_log_locked for _, func, _ in connections[using].run_on_commit)


def lock_change_log(using: str = "default") -> None:
    """Take the change-log lock for the rest of the current transaction (once per
    transaction; on PostgreSQL, inside an atomic block; elsewhere nothing to do)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block or holds_change_log_lock(using):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_LOG_LOCK])
    transaction.on_commit(_change_log_locked, using=using)


def held_back_changes(using: str = "default") -> list | None:
    """The change-log rows `recording.change_log_appended_last` holds back on this
    connection until its end, or None outside it."""
    return getattr(connections[using], "_held_back_changes", None)


def lock_before_writing(using: str = "default") -> None:
    """The first step of any write: the change-log lock, except inside
    `change_log_appended_last`, which takes it for its final append only."""
    if held_back_changes(using) is None:
        lock_change_log(using)


def retryable_reason(error: BaseException) -> str | None:
    """Why a database error is worth running the transaction again for, or None."""
    for candidate in (error, error.__cause__):
        sqlstate = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if sqlstate in RETRYABLE_SQLSTATES:
            return RETRYABLE_SQLSTATES[sqlstate]
        sqlite_code = getattr(candidate, "sqlite_errorcode", None)
        if sqlite_code is not None and sqlite_code & 0xFF in RETRYABLE_SQLITE_CODES:
            return RETRYABLE_SQLITE_CODES[sqlite_code & 0xFF]
    return None


def run_write(
    write: Callable[[], T], *, using: str = "default", attempts: int | None = None, lock_first: bool = True
) -> T:
    """Run `write` in one transaction that takes the change-log lock first (`lock_first=False`
    for a write that appends its change-log rows last: `recording.change_log_appended_last`).

    On a deadlock or serialization failure the transaction is rolled back and `write`
    runs again from the start (it must read what it needs itself), up to `attempts`
    times (`WRITE_RETRY_ATTEMPTS`) with a short random pause; then `WriteContention`.
    Inside a caller's transaction nothing can be retried (its earlier work is lost
    with it): the first such failure is `WriteContention`.
    """
    attempts = attempts or settings.WRITE_RETRY_ATTEMPTS
    nested = connections[using].in_atomic_block
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=using):
                if lock_first:
                    lock_change_log(using)
                return write()
        except DatabaseError as error:
            reason = retryable_reason(error)
            if reason is None:
                raise
            if nested or attempt == attempts:
                raise WriteContention(attempt, reason) from error
            # Random, growing pauses so the writers that collided do not collide again.
            time.sleep(random.uniform(0, settings.WRITE_RETRY_PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable")  # the loop returns or raises
