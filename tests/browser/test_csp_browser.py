"""The Content-Security-Policy as a browser enforces it: the API docs (Swagger UI) and the
admin work with no inline script allowed, and nothing is blocked."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def browser_page(chromium, shared_server):
    context = chromium.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def test_the_swagger_ui_renders_every_operation_under_the_policy(browser_page, shared_server):
    browser_page.goto(f"{shared_server}/api/v1/docs/")
    browser_page.locator(".opblock").first.wait_for()
    assert browser_page.locator(".opblock").count() > 20
    assert browser_page.problems == []


def test_the_admin_forms_scripts_run_under_the_policy(browser_page, shared_server):
    from tests.factories import UserFactory

    UserFactory(username="chief", is_staff=True, is_superuser=True)
    browser_page.goto(f"{shared_server}/admin/login/")
    browser_page.fill("#id_username", "chief")
    browser_page.fill("#id_password", "correct-horse-battery-staple")
    browser_page.click("input[type=submit]")
    browser_page.goto(f"{shared_server}/admin/provisions/provision/add/")
    total = browser_page.locator('input[name$="-TOTAL_FORMS"]').first
    before = int(total.input_value())
    browser_page.locator(".add-row a").first.click()  # the admin's inlines.js adds a form
    assert int(total.input_value()) == before + 1
    # (The admin has no favicon: that 404 is not the policy's doing.)
    assert [p for p in browser_page.problems if "Content Security Policy" in p or "Refused to" in p] == []
