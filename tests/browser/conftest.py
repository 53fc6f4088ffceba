"""Headless Chromium (Debian's) driven by Playwright against a live server.

Most browser tests only read: they run on the module's shared demo load (see tests/conftest.py),
served by one single-threaded server per module that uses the test's own database connection,
so it sees the uncommitted load and each test's savepoint. Loading the record for every test
(a transactional test) cost seconds a test. Tests whose pages commit (an import job's
`on_commit` hooks) use pytest-django's `live_server` with `demo_site` instead."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

from tests.conftest import DEMO, SharedLoad, load_demo_fixture, shared_load

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="package")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # in a thread with a running loop unless told that this is deliberate. Only while the
    # browser runs: the variable must not leak into other tests or their subprocesses.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class _KeepsTheTestsConnection(WSGIServer):
    def serve_forever(self, *args, **kwargs):
        try:
            super().serve_forever(*args, **kwargs)
        finally:
            # The server thread closes its connections as it ends; the one it borrowed is the
            # tests' own, inside the shared load that later modules' tests still run on.
            from django.db import DEFAULT_DB_ALIAS, connections

            del connections[DEFAULT_DB_ALIAS]


class _OneRequestAtATime(LiveServerThread):
    """Serves one request at a time, so requests never use the shared connection concurrently."""

    def _create_server(self, connections_override=None):
        return _KeepsTheTestsConnection((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)


@pytest.fixture(scope="module")
def shared_server(django_db_blocker) -> Iterator[str]:
    """A live server for this module's tests that runs on the main thread's connection."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connections
    from django.test.utils import modify_settings

    connection = connections["default"]
    thread = _OneRequestAtATime("127.0.0.1", StaticFilesHandler, connections_override={"default": connection})
    thread.daemon = True
    # Django closes a request's connections when it ends; this one is the tests' own, inside
    # their open transaction, so it must stay open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"}):
        connection.inc_thread_sharing()
        thread.start()
        thread.is_ready.wait()
        try:
            if thread.error:
                raise thread.error
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.httpd.shutdown()
            thread.httpd.server_close()
            thread.join()
            connection.dec_thread_sharing()
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def _demo_in_the_browser(chromium, _shared_loads, django_db_blocker) -> SharedLoad:
    """The frozen test record for the pages, a shared load of its own, opened once Chromium runs:
    under Playwright's event loop the tests (and `shared_server`) get another connection object,
    which must be the one the load is in."""
    return shared_load(django_db_blocker, (DEMO, "browser"), load_demo_fixture)


@pytest.fixture
def site(shared_server, _demo_in_the_browser, db) -> str:
    """The address of a live server on the frozen test record (the shared load)."""
    assert _demo_in_the_browser.is_open, "the browser's shared load was closed before this test (test order?)"
    return shared_server


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The live server with the frozen test record loaded."""
    from provisions.demo.loading import load_demo
    from tests.conftest import DEMO_FIXTURE

    load_demo(DEMO_FIXTURE)
    return live_server


@pytest.fixture(scope="module")
def _pages(chromium) -> Iterator[dict]:
    """One browser page per viewport for a module's tests: opening a page costs a renderer
    (0.1–0.3 s, most of a short test), and a kept page keeps the static files in its cache."""
    pages: dict[tuple[int, int], object] = {}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture(params=[(1280, 900), (390, 844)], ids=["desktop", "phone"])
def page(request, _pages, chromium, site):
    """The module's page at this size, on a blank document with no cookies; the test fails if
    a console error was logged while it ran."""
    width, height = request.param
    page = _pages.get((width, height))
    if page is None:
        page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
        page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        _pages[(width, height)] = page
    page.context.clear_cookies()
    page.set_viewport_size({"width": width, "height": height})  # a test may have changed it
    page.errors = []
    page.base = site
    page.size = "desktop" if width > 600 else "phone"
    yield page
    # Leave the test's document (its scripts, focus, pending requests) before the next test.
    page.goto("about:blank")
    assert page.errors == [], page.errors


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.size}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
