"""`run_write` runs a transaction again when it lost to another connection's lock."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from history.locking import retryable_reason, run_write
from provisions.models import Plan

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's table locks (PostgreSQL's: tests/api/test_concurrent_writes.py)"
)


@pytest.mark.parametrize(
    ("code", "reason"),
    [(5, "database busy"), (6, "database table locked"), (262, "database table locked"), (1, None), (19, None)],
)
def test_sqlite_busy_and_locked_are_worth_running_again_and_other_errors_are_not(code, reason):
    error = sqlite3.OperationalError("from SQLite")
    error.sqlite_errorcode = code  # 262 is SQLITE_LOCKED_SHAREDCACHE, 19 a constraint failure
    assert retryable_reason(error) == reason


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_write_that_finds_a_table_locked_by_a_reader_is_run_again_and_saves(settings):
    """What a Celery worker thread met while the test thread polled the same in-memory database:
    on a shared cache, a reader's table lock fails a writer at once ("database table is locked")."""
    settings.WRITE_RETRY_PAUSE_SECONDS = 0.001
    reader = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM provisions_plan").fetchone()  # holds the table's read lock
    attempts = []

    def write() -> int:
        attempts.append(1)
        try:
            return Plan.objects.create(name="Locked at first", slug="locked-at-first").pk
        finally:
            if reader.in_transaction:
                reader.execute("COMMIT")  # the reader finishes, as the poller's query does

    try:
        pk = run_write(write)
    finally:
        reader.close()
    assert len(attempts) == 2
    assert Plan.objects.filter(pk=pk, name="Locked at first").exists()
