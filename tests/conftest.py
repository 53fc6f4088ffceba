from __future__ import annotations

import copy
import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from tests.factories import EditorFactory

DEMO = "demo_data"
# A small frozen record the page, API and job tests run on. It is a test fixture, not the
# record: the shipped record (provisions/demo/record/) grows with the negotiation, and
# tests of the mechanics must not change with it. Tests of the record itself load that.
DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo_record.json"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Production hashing is slow on purpose (~0.3 s a password); the suite logs in and creates
    users hundreds of times, and what it tests does not depend on the hasher."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


class _SharedDemo:
    """The demo dataset loaded inside a transaction that stays open while a module's tests
    run on it, and is rolled back after them."""

    current: _SharedDemo | None = None  # the one open in this process, if any

    def __init__(self) -> None:
        from provisions.demo.loading import load_demo

        self._outer = transaction.atomic()
        self._outer.__enter__()
        self.is_open = True
        _SharedDemo.current = self
        self.loader = load_demo(DEMO_FIXTURE)

    def close(self) -> None:
        if self.is_open:
            transaction.set_rollback(True)
            self._outer.__exit__(None, None, None)
            self.is_open = False
            _SharedDemo.current = None


@pytest.fixture(scope="module")
def _demo_in_module(django_db_setup, django_db_blocker):
    """The demo dataset, loaded once per test module (and xdist worker).

    Each test's own transaction (pytest-django's `db`) is a savepoint inside the shared one,
    so a test sees the demo as loaded and leaves nothing behind. `pytest_collection_modifyitems`
    runs a module's demo tests after its others, so those wanting an empty database run first.
    """
    with django_db_blocker.unblock():
        shared = _SharedDemo()
    yield shared
    with django_db_blocker.unblock():
        shared.close()


@pytest.fixture(autouse=True)
def _no_shared_demo_under_a_transactional_test(request, django_db_blocker):
    """A transactional test commits and flushes: it must not run inside the shared demo's transaction."""
    if _SharedDemo.current is not None and _transactional(request.node):
        with django_db_blocker.unblock():
            _SharedDemo.current.close()


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    by_marker = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    return by_marker or "transactional_db" in fixtures or "live_server" in fixtures


def _django_group(item: pytest.Item) -> int:
    """pytest-django's order (as Django's runner): database tests, transactional ones, then the rest."""
    if _transactional(item):
        return 1
    return 0 if item.get_closest_marker("django_db") or "db" in getattr(item, "fixturenames", ()) else 2


@pytest.fixture
def demo_data(request, _demo_in_module, db):
    """The shipped demo dataset, as `make run` loads it (a copy: a test may change its instances).

    Loaded once per module and shared; a transactional test (its writes really commit) loads its own."""
    if _transactional(request.node):
        from provisions.demo.loading import load_demo

        return load_demo(DEMO_FIXTURE)
    assert _demo_in_module.is_open, "the module's shared demo was closed by a transactional test run before"
    return copy.deepcopy(_demo_in_module.loader)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep pytest-django's order (database tests, transactional ones, the rest) and, within
    each module, run the tests on the shared demo load after the others."""
    modules: dict[str, int] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], len(modules))

    def key(item: pytest.Item) -> tuple[int, int, bool]:
        shared = DEMO in getattr(item, "fixturenames", ()) and not _transactional(item)
        return (_django_group(item), modules[item.nodeid.split("::")[0]], shared)

    items.sort(key=key)


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hermetic tests: a host name does not resolve (as on a machine without DNS) unless a test
    gives it an answer; addresses and localhost resolve as usual, without any DNS query."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(host).strip("[]")
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            if name.lower() != "localhost":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
