"""The dashboard as an analyst uses it, in headless Chromium, at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from provisions.models import Version
from tests.browser.conftest import shoot
from tests.dashboard.conftest import DRAFT, make_revision

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_overview_matrix_cell_leads_to_the_point(page):
    page.goto(page.base + "/")
    assert page.locator("h1").inner_text() == "28-point draft"
    assert page.locator("table.matrix tbody tr").count() == 29  # the whole version + 28 points
    shoot(page, "overview")
    cell = page.get_by_role("link", name=re.compile(r"^Ukraine: Opposes — point 21"))
    cell.focus()
    expect(page.locator(".cell a:focus + .tip")).to_be_visible()  # summary and date on focus
    cell.click()
    page.wait_for_url(re.compile(r"/provisions/\d+/$"))
    expect(page.locator("h1")).to_contain_text("Territorial arrangements")
    shoot(page, "point")


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("row", ["first", "last"])
def test_matrix_tips_of_the_corner_cells_are_not_clipped_by_the_scrolling_box(page, row):
    page.goto(page.base + "/")
    scroller = page.locator(".table-scroll:has(table.matrix)")
    for column in (0, -1):
        cell = page.locator(f"table.matrix tbody tr:{row}-child td.cell").nth(column)
        cell.locator("a").focus()
        tip = cell.locator(".tip")
        expect(tip).to_be_visible()
        assert inside(tip.bounding_box(), scroller.bounding_box()), (row, column)
    shoot(page, f"matrix-tip-{row}-row")


def test_filter_changes_the_url_and_the_list(page):
    page.goto(page.base + "/provisions/")
    page.get_by_label("Topic").select_option("nuclear")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"topic=nuclear"))
    expect(page.locator("#results-title")).to_have_text(re.compile(r"^3 of 28"))
    shoot(page, "points-filtered")


def test_filter_bar_buttons_and_fields_line_up(page):
    page.goto(page.base + "/provisions/?topic=nuclear")
    apply, clear = page.get_by_role("button", name="Apply filters"), page.get_by_role("link", name="Clear", exact=True)
    heights = {round(apply.bounding_box()["height"]), round(clear.bounding_box()["height"])}
    heights.add(round(page.get_by_label("Topic").bounding_box()["height"]))
    assert len(heights) == 1, heights  # one line each, same height as the fields


@pytest.mark.parametrize("path", ["/", "/provisions/", "/actors/", "/convergence/", "/territories/"])
def test_pages_leave_room_under_the_nav_and_fit_a_320px_screen(page, path):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(page.base + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).paddingTop)") > 10


def test_compare_page_opens_from_the_picker(page):
    make_revision(Version.objects.get(label=DRAFT))
    page.goto(page.base + "/versions/compare/")
    # The picker proposes the latest version and the one it revises.
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/versions/\d+/compare/\d+/"))
    expect(page.locator("h1")).to_have_text("28-point draft → Revised draft")
    expect(page.get_by_role("heading", name="Changed (2)")).to_be_visible()
    # The diff shows side by side on a wide screen and inline on a phone: one of them is visible.
    expect(page.locator("ins:visible", has_text="800,000").first).to_be_visible()
    shoot(page, "compare")
    # Asked the other way round, the comparison still runs from the older version.
    older_first = page.url
    draft, revision = re.findall(r"/(\d+)/", older_first)
    page.goto(f"{page.base}/versions/{revision}/compare/{draft}/")
    page.wait_for_url(older_first)
    expect(page.locator("h1")).to_have_text("28-point draft → Revised draft")
    expect(page.get_by_role("heading", name="Removed (24)")).to_be_visible()


def test_switching_as_of_shows_the_banner_and_back_to_today(page):
    page.goto(page.base + "/")
    page.get_by_role("textbox", name="Record as of").fill("2025-11-19")
    page.get_by_role("search").get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"as_of=2025-11-19"))
    banner = page.get_by_role("status")
    expect(banner).to_contain_text("Showing the record as of 19 November 2025")
    expect(page.locator("h1")).to_have_text("Counter-proposal taken to Ankara")
    shoot(page, "overview-as-of")
    banner.get_by_role("link", name=re.compile("Back to today")).click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_count(0)


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
    expect(page.locator("h1")).to_have_text(re.compile("^" + re.escape(heading)))
    assert page.locator("main svg, main table, main article").count() > 0
    shoot(page, name)


def test_territory_map_labels_do_not_overlap(page):
    page.goto(page.base + "/territories/")
    boxes = [
        box
        for box in (t.bounding_box() for t in page.locator("svg.map text.map-label, svg.map text.map-code").all())
        if box
    ]
    assert len(boxes) > 10
    for index, a in enumerate(boxes):
        for b in boxes[index + 1 :]:
            overlap_x = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            overlap_y = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            # Text boxes include the glyphs' ascent and descent: stacked lines touch a little.
            assert overlap_x <= 1 or overlap_y <= 0.5 * min(a["height"], b["height"]), (a, b)


def test_printing_opens_every_details_and_closes_them_afterwards(page):
    make_revision(Version.objects.get(label=DRAFT))
    page.goto(page.base + "/versions/compare/")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/versions/\d+/compare/\d+/"))
    closed = "document.querySelectorAll('details:not([open])').length"
    assert page.evaluate(closed) > 0
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate(closed) == 0
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate(closed) > 0


def test_keyboard_users_can_skip_past_the_matrix(page):
    page.goto(page.base + "/")
    skip = page.get_by_role("link", name="Skip past the matrix")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('table.matrix')") is None
    assert page.evaluate(
        "document.querySelector('table.matrix').compareDocumentPosition(document.activeElement)"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )


def test_party_page_and_keyboard_navigation(page):
    page.goto(page.base + "/actors/")
    page.get_by_role("link", name="Ukraine", exact=True).first.click()
    page.wait_for_url(re.compile(r"/actors/\d+/"))
    expect(page.locator("h1")).to_have_text(re.compile(r"^Ukraine"))
    shoot(page, "party")
    page.goto(page.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
