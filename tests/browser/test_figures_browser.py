"""The map and the charts on a phone: labels a reader can read, no sideways page, and the
convergence chart "from draft to draft". Screenshots of both pages go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = (390, 844)
SMALLEST_LABEL_PX = 11

# Each shown SVG text's rendered size: its font size in drawing units times the drawing's scale
# on screen (hidden drawings, display: none, have no box and are left out).
RENDERED_LABEL_SIZES = """
() => [...document.querySelectorAll('main svg text')]
  .filter(text => text.getClientRects().length > 0)
  .map(text => ({
    text: text.textContent.trim(),
    px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
  }))
"""


def page_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])
@pytest.mark.parametrize(("path", "fewest"), [("/territories/", 10), ("/convergence/", 10)])
def test_map_and_chart_labels_are_legible_on_a_390px_phone(page, path, fewest):
    page.goto(page.base + path)
    labels = page.evaluate(RENDERED_LABEL_SIZES)
    assert len(labels) >= fewest, labels
    too_small = [label for label in labels if label["px"] < SMALLEST_LABEL_PX]
    assert too_small == [], too_small
    assert page_overflow(page) <= 0


@pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])
def test_convergence_from_draft_to_draft_chart_is_first_and_shown_on_a_phone(page):
    page.goto(page.base + "/convergence/")
    section = page.locator("main section.card").first
    expect(section.locator("h2")).to_contain_text("From draft to draft: share of each party’s stances that accept")
    chart = section.get_by_role("img", name="Share of each party’s stances that accept, version by version")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] >= 330
    lines = [d for d in section.locator("svg path").evaluate_all("paths => paths.map(p => p.getAttribute('d'))") if d]
    assert len(set(lines)) >= 2, lines
    expect(section.locator("table tbody tr").first).to_be_visible()
    assert page_overflow(page) <= 0


@pytest.mark.parametrize(("path", "name"), [("/territories/", "territories"), ("/convergence/", "convergence")])
def test_screenshots_of_the_map_and_the_charts(page, path, name):
    page.goto(page.base + path)
    expect(page.locator("main svg:visible").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}-{page.size}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
