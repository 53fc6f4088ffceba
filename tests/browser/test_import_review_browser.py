"""An editor imports a revised text, reviews the proposed links, accepts them; the point page then
shows the lineage and the compare view follows it (headless Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from provisions.models import Provision, Version
from tests.browser.conftest import shoot
from tests.exchange.conftest import celery_settings
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def revised_text(draft: Version) -> str:
    """The demo draft with point 3 dropped and the army cap of point 6 raised, renumbered."""
    points = [p for p in Provision.objects.filter(version=draft).order_by("sort_key") if p.number != "3"]
    texts = [p.text.replace("600,000", "800,000") for p in points]
    return "\n\n".join(f"{n}. {text}" for n, text in enumerate(texts, 1))


def choose(page, field: str, value: int, label: str) -> None:
    """Pick a value of an admin autocomplete (select2) field, as selecting an item there does."""
    page.evaluate(
        "([id, value, label]) => { const s = document.getElementById(id); s.add(new Option(label, value, true, true));"
        " s.dispatchEvent(new Event('change', {bubbles: true})); }",
        [f"id_{field}", str(value), label],
    )


@pytest.fixture(autouse=True)
def jobs_inline():
    """The import runs inline in the live server's thread, whatever broker the environment names
    (CI sets one and runs no worker)."""
    with celery_settings(task_always_eager=True, task_eager_propagates=True):
        yield


@pytest.fixture
def page(chromium, demo_site):
    """A desktop page; it fails the test on a console error or a missing resource (the admin has
    no favicon, the only 404 allowed)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.base, page.size = demo_site.url, "desktop"
    yield page
    context.close()
    assert errors == []


def test_an_editor_imports_reviews_and_accepts_then_the_lineage_shows(page):
    draft = Version.objects.get(label="28-point draft")
    UserFactory(username="alice", is_staff=True, is_superuser=True)
    page.goto(page.base + "/admin/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Log in").click()

    page.goto(page.base + "/admin/exchange/importjob/add/")
    choose(page, "plan", draft.plan_id, str(draft.plan))
    choose(page, "revises", draft.pk, str(draft))
    page.get_by_label("Label").fill(f"Revision ({page.size})")
    page.locator("#id_dated").fill("2025-11-30")
    page.locator("#id_text").fill(revised_text(draft))
    page.locator("input[name=_save]").click()
    expect(page.locator(".field-status_badge")).to_contain_text("awaiting review")

    page.get_by_role("link", name="Review the links").first.click()
    expect(page.locator("h1")).to_contain_text("Review")
    army = page.locator("tr.proposed", has_text="renumbered 6 → 5")
    expect(army.locator("del")).to_contain_text("600,000")
    expect(army.locator("ins")).to_contain_text("800,000")
    shoot(page, "import-review")
    page.locator("#id_threshold").fill("0.5")
    page.get_by_role("button", name="Accept all above the threshold").click()
    expect(page.locator(".messagelist")).to_contain_text("accepted links are now confirmed lineage")
    expect(page.locator("tr.proposed")).to_have_count(0)

    new = Version.objects.get(label=f"Revision ({page.size})")
    point = Provision.objects.get(version=new, number="5")
    page.goto(page.base + point.get_absolute_url())
    lineage = page.locator("section[aria-labelledby=lineage-title]")
    expect(lineage).to_contain_text("28-point draft, point 6")
    shoot(page, "imported-point-lineage")

    page.goto(page.base + f"/versions/{draft.pk}/compare/{new.pk}/")
    expect(page.locator("body")).to_contain_text("800,000")
    expect(page.locator("ins:visible", has_text="800,000").first).to_be_visible()
    shoot(page, "imported-compare")
