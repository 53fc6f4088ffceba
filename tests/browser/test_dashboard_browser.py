"""The dashboard as an analyst uses it, in headless Chromium, at desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from provisions.models import Version
from tests.browser.conftest import shoot
from tests.dashboard.conftest import DRAFT, make_revision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_overview_matrix_cell_leads_to_the_point(page):
    page.goto(page.base + "/")
    assert page.locator("h1").inner_text() == "28-point draft"
    assert page.locator("table.matrix tbody tr").count() == 29  # the whole version + 28 points
    shoot(page, "overview")
    cell = page.get_by_role("link", name=re.compile(r"^Ukraine: Opposes — point 21"))
    cell.focus()
    assert page.locator(".cell a:focus + .tip").is_visible()  # summary and date on focus
    cell.click()
    page.wait_for_url(re.compile(r"/provisions/\d+/$"))
    assert "Territorial arrangements" in page.locator("h1").inner_text()
    shoot(page, "point")


def test_filter_changes_the_url_and_the_list(page):
    page.goto(page.base + "/provisions/")
    page.get_by_label("Topic").select_option("nuclear")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"topic=nuclear"))
    assert page.locator("#results-title").inner_text().startswith("3 of 28")
    shoot(page, "points-filtered")


def test_compare_page_opens_from_the_picker(page):
    make_revision(Version.objects.get(label=DRAFT))
    page.goto(page.base + "/versions/compare/")
    # The picker proposes the latest version and the one it revises.
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/versions/\d+/compare/\d+/"))
    assert page.locator("h1").inner_text() == "28-point draft → Revised draft"
    assert page.get_by_role("heading", name="Changed (2)").is_visible()
    assert page.locator("ins", has_text="800,000").first.is_visible()
    shoot(page, "compare")
    page.get_by_role("link", name="Swap").click()
    assert page.get_by_role("heading", name="Removed (4)").is_visible()


def test_switching_as_of_shows_the_banner_and_back_to_today(page):
    page.goto(page.base + "/")
    page.get_by_role("textbox", name="Record as of").fill("2025-11-19")
    page.get_by_role("search").get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"as_of=2025-11-19"))
    banner = page.get_by_role("status")
    assert "Showing the record as of 19 November 2025" in banner.inner_text()
    assert page.locator("h1").inner_text() == "Counter-proposal taken to Ankara"
    shoot(page, "overview-as-of")
    banner.get_by_role("link", name=re.compile("Back to today")).click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("status").count() == 0


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/territories/", "territories", "Territories"),
        ("/actors/", "parties", "Parties and people"),
        ("/timeline/", "timeline", "Timeline"),
        ("/convergence/", "convergence", "How far apart are the parties?"),
    ],
)
def test_every_page_renders_without_console_errors(page, path, name, heading):
    page.goto(page.base + path)
    assert page.locator("h1").inner_text().startswith(heading)
    assert page.locator("main svg, main table, main article").count() > 0
    shoot(page, name)


def test_party_page_and_keyboard_navigation(page):
    page.goto(page.base + "/actors/")
    page.get_by_role("link", name="Ukraine", exact=True).first.click()
    assert page.locator("h1").inner_text().startswith("Ukraine")
    shoot(page, "party")
    page.goto(page.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
