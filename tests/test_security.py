"""Login throttling (django-axes), one client address for both throttles, and the
Content-Security-Policy every page carries."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.throttling import BaseThrottle

from config.proxies import client_ip
from tests.factories import UserFactory

LOGIN = "/admin/login/"
PASSWORD = "correct-horse-battery-staple"  # the factories' password


@pytest.fixture
def admin_user(db):
    return UserFactory(username="chief", is_staff=True, is_superuser=True)


def log_in(client, password, address="198.51.100.7", username="chief"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


# --- Item 6: login throttling ----------------------------------------------------


def test_after_the_failure_limit_even_the_right_password_is_refused_with_a_clear_message(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong").status_code == 200  # the form again, with its error
    locked = log_in(client, "wrong")
    assert locked.status_code == 429
    right = log_in(client, PASSWORD)
    assert right.status_code == 429
    assert "Too many failed logins: this account is locked for 15 minutes" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, admin_user):
    for _ in range(30):
        log_in(client, "guess")
    assert log_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_account_and_address_so_others_still_log_in(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong")
    other_address = log_in(client, PASSWORD, address="198.51.100.99")
    assert other_address.status_code == 302 and other_address["Location"] == "/admin/"


def test_a_success_before_the_limit_resets_the_count(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302


# --- Item 12: one proxy setting, one client address ------------------------------------


@pytest.mark.parametrize(
    ("num_proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "192.0.2.1"),  # no proxy: a client's own header is ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the address the proxy appended
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    ],
)
def test_the_login_throttle_and_the_api_throttle_see_the_same_client(settings, num_proxies, forwarded, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    from axes.helpers import get_client_ip_address

    assert client_ip(request) == BaseThrottle().get_ident(request) == get_client_ip_address(request) == expected


def test_the_proxy_count_drives_the_api_throttle(settings):
    assert settings.TRUSTED_PROXY_COUNT == settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_behind_a_proxy_the_lockout_follows_the_forwarded_client_not_the_proxy(client, admin_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN, {"username": "chief", "password": "wrong"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6"
        )
    # Another client behind the same proxy is not locked out.
    other = client.post(
        LOGIN, {"username": "chief", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="7.7.7.7"
    )
    assert other.status_code == 302


# --- CSP ----------------------------------------------------------------------------

PAGES = ["/", LOGIN, "/api/v1/docs/", "/api/v1/", "/api/v1/plans/"]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_and_remote_scripts(client, db, path):
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_relies_on_an_inline_script(client, db, path):
    page = client.get(path, HTTP_ACCEPT="text/html").content.decode()
    for attributes, body in SCRIPT_TAG.findall(page):
        # Every script is a file of ours, or data the browser never runs.
        assert "src=" in attributes or 'type="application/json"' in attributes, (attributes, body[:80])


def test_the_admin_pages_an_editor_uses_carry_the_policy_without_inline_scripts(admin_client):
    for path in [
        reverse("admin:index"),
        reverse("admin:provisions_provision_add"),
        reverse("admin:exchange_webhooksubscription_add"),
        reverse("admin:exchange_snapshot_changelist"),
    ]:
        response = admin_client.get(path)
        assert directives(response)["script-src"] == ["'self'"], path
        for attributes, _body in SCRIPT_TAG.findall(response.content.decode()):
            assert "src=" in attributes or 'type="application/json"' in attributes, (path, attributes)


def test_the_swagger_ui_start_up_script_is_served_as_a_file(client, db):
    page = client.get("/api/v1/docs/").content.decode()
    [script_url] = re.findall(r'<script src="(/api/v1/docs/\?[^"]*script=[^"]*)"', page)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
