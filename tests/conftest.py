from __future__ import annotations

import copy
import ipaddress
import socket
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from pytest_django.plugin import blocking_manager_key

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


@pytest.fixture(autouse=True, scope="session")
def _a_cache_of_its_own():
    """Each xdist worker gets its own Redis database for the cache (when one is configured):
    tests clear the cache, and Redis clears a whole database, so a worker clearing it would
    wipe another's throttle history or cached ETags mid-test."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings
    from django.test import override_settings

    default = settings.CACHES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not default["BACKEND"].endswith("RedisCache") or not worker.startswith("gw"):
        yield
        return
    url = urlsplit(default["LOCATION"])
    base = int(url.path.strip("/") or 0)
    database = 1 + (base + int(worker[2:])) % 15  # 1..15: database 0 is Celery's broker in CI
    location = urlunsplit(url._replace(path=f"/{database}"))
    with override_settings(CACHES={"default": {**default, "LOCATION": location}}):
        yield


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


class SharedLoad:
    """Rows loaded inside a transaction that stays open while consecutive tests run on them,
    and is rolled back after them: each test's own transaction (pytest-django's `db`) is a
    savepoint inside it, so a test sees the rows as loaded and leaves nothing behind.

    At most one is open per process (and xdist worker). Asking for the open one's key returns it,
    whichever module asks; opening another closes it first, and so does a test on none
    (`pytest_runtest_setup`). `pytest_collection_modifyitems` runs the tests of each load
    together, across modules, so that each is built about once per worker."""

    current: ClassVar[SharedLoad | None] = None  # the one open in this process, if any

    def __init__(self, key: Hashable, build: Callable[[], Any]) -> None:
        self.key = key
        # Code run under Playwright's event loop (the browser tests) gets another connection
        # object from `connections`: the load is closed on the one it was opened on.
        self.connection = connections[DEFAULT_DB_ALIAS]
        self._outer = transaction.atomic()
        self._outer.__enter__()
        self.is_open = True
        SharedLoad.current = self
        self.loaded = build()

    @classmethod
    def open(cls, key: Hashable, build: Callable[[], Any]) -> SharedLoad:
        if cls.current is not None and cls.current.key == key:
            return cls.current
        if cls.current is not None:
            cls.current.close()
        return cls(key, build)

    def close(self) -> None:
        if self.is_open:
            current = connections[DEFAULT_DB_ALIAS]
            connections[DEFAULT_DB_ALIAS] = self.connection
            try:
                transaction.set_rollback(True)
                self._outer.__exit__(None, None, None)
            finally:
                connections[DEFAULT_DB_ALIAS] = current
            if self.connection is not current:
                self.connection.close()  # nothing else would: the test database could not be dropped
            self.is_open = False
            if SharedLoad.current is self:
                SharedLoad.current = None

    def copy_for(self, request: pytest.FixtureRequest, build: Callable[[], Any]) -> Any:
        """What a test gets: a copy of the load (a test may change its instances), or, for a
        transactional test (its writes really commit, then are flushed), a load of its own."""
        if _transactional(request.node):
            return build()
        assert self.is_open, f"the shared load {self.key!r} was closed before this test (test order?)"
        return copy.deepcopy(self.loaded)


@pytest.fixture(scope="session")
def _shared_loads(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Rolls back the shared load still open at the end, before the test database goes."""
    yield
    if SharedLoad.current is not None:
        with django_db_blocker.unblock():
            SharedLoad.current.close()


def shared_load(django_db_blocker: Any, key: Hashable, build: Callable[[], Any]) -> SharedLoad:
    """What a module-scoped fixture (on `_shared_loads`) returns: the shared load of `key`, opened
    or reused. Module scope makes it start before any test's own transaction."""
    with django_db_blocker.unblock():
        return SharedLoad.open(key, build)


def load_demo_fixture() -> Any:
    from provisions.demo.loading import load_demo

    return load_demo(DEMO_FIXTURE)


@pytest.fixture(scope="module")
def _demo_in_module(_shared_loads, django_db_blocker) -> SharedLoad:
    """The demo dataset, loaded about once per xdist worker (see `SharedLoad`)."""
    return shared_load(django_db_blocker, DEMO, load_demo_fixture)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test on no shared load runs on an empty database (and outside any open transaction):
    the load left open by the tests before it is rolled back before its fixtures start."""
    if SharedLoad.current is not None and _shared_rank(item) == 0:
        with item.config.stash[blocking_manager_key].unblock():
            SharedLoad.current.close()


@pytest.fixture(autouse=True)
def _no_shared_load_under_a_transactional_test(request, django_db_blocker):
    """A transactional test commits and flushes: it must not run inside a shared load's
    transaction, not even one its module fixtures just opened."""
    if SharedLoad.current is not None and _transactional(request.node):
        with django_db_blocker.unblock():
            SharedLoad.current.close()


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

    Loaded about once per xdist worker and shared; a transactional test (its writes really commit) loads its own."""
    return _demo_in_module.copy_for(request, load_demo_fixture)


# The fixtures that hand a test a copy of a shared load, in the order their tests run (after
# the database tests on none, before the transactional ones). Tests of one fixture keep pytest's
# order, which groups them by module-scoped parameter (`world_of_size`: one size, then the other).
SHARED_FIXTURES = ("world", "world_of_size", "world_of_six", "draft_28", "one_of_each", DEMO, "site")


def _shared_rank(item: pytest.Item) -> int:
    if _transactional(item):
        return 0
    fixtures = getattr(item, "fixturenames", ())
    return next((rank for rank, name in enumerate(SHARED_FIXTURES, 1) if name in fixtures), 0)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep pytest-django's order (database tests, transactional ones, the rest); among the
    database tests, run those wanting an empty database first, then those of each shared load
    (module by module), so that a worker builds each load once."""
    modules: dict[str, int] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], len(modules))

    def key(item: pytest.Item) -> tuple[int, int, int]:
        return (_django_group(item), _shared_rank(item), modules[item.nodeid.split("::")[0]])

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
