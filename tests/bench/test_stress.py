"""The stress script (`bench/stress.py`) at a small size, so it cannot rot: two writers
against a real gunicorn on PostgreSQL, every count 0."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the stress script runs gunicorn on PostgreSQL (set DATABASE_URL); SQLite serializes writers anyway",
)
def test_the_stress_script_finds_nothing_wrong_with_two_writers():
    result = subprocess.run(
        [sys.executable, "bench/stress.py", "--writers", "2", "--ops", "6", "--seconds", "30"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert summary == "5xx=0 lost_updates=0 feed_mismatch=0 webhook_missing=0 webhook_duplicate=0", (
        result.stdout + result.stderr[-3000:]
    )
    assert result.returncode == 0
