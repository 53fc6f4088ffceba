"""Production settings pass Django's deployment checklist; the compose file is valid."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warning():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-only-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="accord.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="accord.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x" * 20 + "production-only-key-0123456789-abcdefghijklmnop"}
PRODUCTION["ALLOWED_HOSTS"] = "accord.example.org"
SHOW_PROXY_SETTINGS = (
    "from django.conf import settings; "
    "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), settings.REST_FRAMEWORK['NUM_PROXIES'])"
)


def test_without_a_proxy_setting_forwarded_headers_are_not_trusted_even_in_production():
    result = run_manage("shell", "-v", "0", "-c", SHOW_PROXY_SETTINGS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "0"]


def test_one_proxy_setting_drives_https_detection_and_the_throttles_client_address():
    result = run_manage("shell", "-v", "0", "-c", SHOW_PROXY_SETTINGS, TRUSTED_PROXY_COUNT="1", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "1"]
    deploy = run_manage("check", "--deploy", "--fail-level", "WARNING", TRUSTED_PROXY_COUNT="1", **PRODUCTION)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr


def test_the_old_proxy_variable_is_refused_with_its_new_name():
    result = run_manage("check", API_NUM_PROXIES="1", **PRODUCTION)
    assert result.returncode != 0
    assert "API_NUM_PROXIES is now TRUSTED_PROXY_COUNT" in result.stderr


needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose (Debian package) is not installed"
)
COMPOSE_SECRETS = {"SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"}


def run_compose_config(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in COMPOSE_SECRETS}
    environment.update(env)
    return subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_compose
def test_the_compose_file_is_valid_with_the_required_variables():
    result = run_compose_config(SECRET_KEY="s3cret", POSTGRES_PASSWORD="pw", ALLOWED_HOSTS="accord.example.org")
    assert result.returncode == 0, result.stderr
    # The container's own healthcheck calls 127.0.0.1, so it stays allowed whatever the operator sets.
    assert "ALLOWED_HOSTS: accord.example.org,localhost,127.0.0.1" in result.stdout


@needs_compose
def test_the_compose_file_is_valid_as_it_is_and_ships_no_secret():
    result = run_compose_config()
    assert result.returncode == 0, result.stderr
    assert "POSTGRES_PASSWORD: ''" in result.stdout
    assert "SECRET_KEY: ''" in result.stdout


def test_the_health_check_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_health_check_hides_the_database_error_from_the_caller(client, monkeypatch):
    from django.db import OperationalError

    from config import health

    def refuse() -> None:
        raise OperationalError('password authentication failed for user "accord" at db.internal:5432')

    monkeypatch.setattr(health.connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "db.internal" not in response.content.decode()
    assert response.json()["status"] == "unavailable"
