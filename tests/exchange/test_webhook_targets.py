"""Webhooks never reach the server's own network: private, loopback, link-local, multicast,
reserved and unspecified addresses are refused at registration and, after DNS, at every
delivery; the POST goes to the address that was checked, with the name in Host and SNI."""

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exchange import services, webhooks
from exchange.choices import DeliveryStatus, WebhookEvent
from exchange.models import WebhookSubscription
from tests.exchange.conftest import SERVER_POLL, make_delivery

pytestmark = pytest.mark.django_db

REFUSED = [
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("https://10.0.0.1/", "10.0.0.1 is a private address"),
    ("https://localhost:5432/", "localhost is a loopback name"),
    ("https://[::1]:6379/", "::1 is a loopback address"),
    ("https://0.0.0.0/", "0.0.0.0 is a unspecified address"),
    ("https://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
    ("https://[::ffff:10.1.2.3]/", "::ffff:10.1.2.3 is a private address"),
    ("https://224.0.0.251/", "224.0.0.251 is a multicast address"),
    ("https://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ("https://100.64.0.1/", "100.64.0.1 is a non-public address"),
]


def subscribe(url):
    return services.webhook_subscription_create(url=url, event_kinds=[WebhookEvent.PROVISION_CHANGED])


def test_the_default_setting_refuses_private_targets(settings):
    assert settings.WEBHOOK_ALLOW_PRIVATE_TARGETS is False


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_registration_refuses_addresses_of_the_servers_own_network_naming_the_reason(url, reason):
    with pytest.raises(ValidationError) as error:
        subscribe(url)
    [message] = error.value.message_dict["url"]
    assert message.startswith(reason)
    assert not WebhookSubscription.objects.exists()


def fake_dns(monkeypatch, answers):
    """Resolve names from `answers` (name -> list of addresses, taken in turn); count lookups."""
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:  # an address: no DNS involved
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_registration_refuses_a_name_that_resolves_to_a_private_address(monkeypatch):
    fake_dns(monkeypatch, {"intranet.example": ["192.168.1.20"]})
    with pytest.raises(ValidationError, match=r"intranet\.example resolves to 192\.168\.1\.20, a private address"):
        subscribe("https://intranet.example/hook")


def test_registration_accepts_public_addresses_and_names_that_do_not_resolve_yet(monkeypatch):
    fake_dns(monkeypatch, {"consumer.example": ["93.184.215.14"]})
    subscribe("https://consumer.example/hook")
    subscribe("https://93.184.215.14/hook")
    assert WebhookSubscription.objects.count() == 2
    monkeypatch.undo()
    subscribe("https://not-yet-in-dns.example/hook")  # checked again at every delivery


def test_the_api_answers_400_naming_the_reason(editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    response = client.post(
        "/api/v1/webhooks/", {"url": "https://10.0.0.1/", "event_kinds": ["provision.changed"]}, format="json"
    )
    assert response.status_code == 400
    assert "10.0.0.1 is a private address" in response.json()["url"][0]


def test_the_admin_form_names_the_reason(editor_client):
    response = editor_client.post(
        reverse("admin:exchange_webhooksubscription_add"),
        {"url": "https://169.254.169.254/latest/", "description": "", "event_kinds": ["provision.changed"]},
    )
    assert response.status_code == 200
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_an_existing_subscription_to_the_servers_network_is_refused_at_delivery(receiver, settings, monkeypatch):
    subscription = subscribe(receiver.url)  # registered while a loopback receiver was allowed
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    connects = []
    monkeypatch.setattr(webhooks.socket, "create_connection", lambda *args, **kwargs: connects.append(args))
    delivery = make_delivery(subscription)
    services.webhook_deliver(delivery_id=delivery.pk)
    assert receiver.received == [] and connects == []
    attempt = delivery.attempt_log.get()
    assert attempt.error == "Refused: 127.0.0.1 is a loopback address: webhooks go to public addresses only."


def test_a_name_repointed_to_a_private_address_after_registration_is_refused(monkeypatch):
    lookups = fake_dns(monkeypatch, {"hooks.example": ["93.184.215.14", "10.0.0.7"]})
    subscription = subscribe("https://hooks.example/hook")  # public when registered
    connects = []
    monkeypatch.setattr(webhooks.socket, "create_connection", lambda *args, **kwargs: connects.append(args))
    delivery = make_delivery(subscription)
    services.webhook_deliver(delivery_id=delivery.pk)
    assert connects == [] and lookups == ["hooks.example", "hooks.example"]
    assert delivery.attempt_log.get().error.startswith("Refused: hooks.example resolves to 10.0.0.7, a private")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING


def test_the_post_connects_to_the_address_it_checked_and_sends_the_name_as_host(receiver, monkeypatch):
    port = receiver.url.rsplit(":", 1)[1].split("/")[0]
    lookups = fake_dns(monkeypatch, {"receiver.test": ["127.0.0.1"]})
    subscription = subscribe(f"http://receiver.test:{port}/hook")
    receiver.secret = subscription.secret
    services.webhook_deliver(delivery_id=make_delivery(subscription).pk)
    [got] = receiver.received
    assert got.headers["Host"] == f"receiver.test:{port}" and got.signature_ok
    assert lookups == ["receiver.test", "receiver.test"]  # registration, then one per POST: no second lookup


@pytest.fixture
def tls_receiver(tmp_path, loopback_targets):
    """An https consumer on 127.0.0.1 with a certificate for receiver.test; records the SNI it is sent."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=receiver.test",
         "-addext", "subjectAltName=DNS:receiver.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    seen = {"sni": [], "hosts": []}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen["hosts"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL}, daemon=True).start()
    try:
        yield server.server_address[1], cert, seen
    finally:
        server.shutdown()
        server.server_close()


def test_https_keeps_the_name_for_sni_and_the_certificate_check(tls_receiver, monkeypatch):
    port, cert, seen = tls_receiver
    fake_dns(monkeypatch, {"receiver.test": ["127.0.0.1"]})
    monkeypatch.setattr(webhooks, "tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    subscription = subscribe(f"https://receiver.test:{port}/hook")
    delivery = make_delivery(subscription)
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.attempt_log.get().error
    assert seen == {"sni": ["receiver.test"], "hosts": [f"receiver.test:{port}"]}
