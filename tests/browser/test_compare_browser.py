"""Compare and point pages in headless Chromium: the picker's defaults, the counts the API gives,
readable word diffs side by side on a wide screen and inline on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from provisions.models import Provision, Version

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# Kept in the repository (unlike test-artifacts/screenshots/): what the pages look like.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
E3 = "E3 counter-proposal"


def keep(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.size}.png"), full_page=True)


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_picker_proposes_the_latest_version_and_the_one_it_revises_with_the_apis_counts(page):
    page.goto(page.base + "/versions/compare/")
    expect(page.get_by_label("From (older)").locator("option:checked")).to_contain_text("28-point draft")
    expect(page.get_by_label("To (newer)").locator("option:checked")).to_contain_text(E3)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/versions/\d+/compare/\d+/$"))
    expect(page.locator("h1")).to_have_text(f"28-point draft → {E3}")
    old, new = (int(pk) for pk in re.findall(r"/(\d+)/", page.url))
    for a, b in [(old, new), (new, old)]:
        api = page.request.get(f"{page.base}/api/v1/versions/{a}/compare/{b}/").json()
        for kind, count in api["counts"].items():
            if count:
                expect(page.locator(f'.compare-counts a[href="#{kind}"]')).to_have_text(f"{count} {kind}")
    expect(page.locator('.compare-counts a[href="#changed"]')).to_have_text("6 changed")


def test_the_comparison_asked_newer_first_is_the_same_as_older_first(page):
    draft, e3 = Version.objects.get(label="28-point draft"), Version.objects.get(label=E3)
    page.goto(f"{page.base}/versions/{e3.pk}/compare/{draft.pk}/")
    page.wait_for_url(re.compile(rf"/versions/{draft.pk}/compare/{e3.pk}/$"))
    expect(page.locator("h1")).to_have_text(f"28-point draft → {E3}")
    expect(page.locator('.compare-counts a[href="#changed"]')).to_have_text("6 changed")
    expect(page.locator('.compare-counts a[href="#removed"]')).to_have_text("0 removed")


def check_diff_layout(page, diff) -> None:
    """Side by side (old | new) on a wide screen, inline on a phone; a space between a deleted
    phrase and the one put in its place; nothing wider than the screen."""
    inline, old_side, new_side = (
        diff.locator(".diff-inline"),
        diff.locator(".diff-side").nth(0),
        diff.locator(".diff-side").nth(1),
    )
    if page.size == "desktop":
        expect(old_side).to_be_visible()
        expect(new_side).to_be_visible()
        expect(inline).to_be_hidden()
        left, right = old_side.bounding_box(), new_side.bounding_box()
        assert right["x"] >= left["x"] + left["width"] and abs(right["y"] - left["y"]) < 1
        expect(old_side.locator("ins")).to_have_count(0)
        expect(new_side.locator("del")).to_have_count(0)
        expect(old_side).to_contain_text("according to reports of the Axios story, Ukraine")
        expect(new_side).to_contain_text("The draft's terms are not kept: Ukraine would not have to withdraw")
    else:
        expect(inline).to_be_visible()
        expect(old_side).to_be_hidden()
        expect(inline).to_contain_text("reports of the Axios story, Negotiations on territory")
        expect(inline).to_contain_text("recognise them. Ukrainian")
        # No deleted run is glued to the inserted one that follows it.
        glued = (
            "[...document.querySelectorAll('.diff-inline del')]"
            ".filter(d => d.nextSibling && d.nextSibling.nodeName === 'INS').length"
        )
        assert page.evaluate(glued) == 0
    assert fits_the_width(page)


def test_compare_diffs_are_readable_side_by_side_or_inline(page):
    draft, e3 = Version.objects.get(label="28-point draft"), Version.objects.get(label=E3)
    page.goto(f"{page.base}/versions/{draft.pk}/compare/{e3.pk}/")
    change = page.locator("article.change").filter(has=page.get_by_role("link", name=re.compile(r"^21\. ")))
    expect(change).to_have_count(1)
    check_diff_layout(page, change)
    keep(page, "compare")


def test_point_page_diff_is_readable_side_by_side_or_inline(page):
    point = Provision.objects.get(version__label=E3, number="21")
    page.goto(page.base + point.get_absolute_url())
    earlier = page.locator("#lineage-title + .change, section[aria-labelledby=lineage-title] .change").first
    expect(earlier).to_contain_text("28-point draft, point 21")
    check_diff_layout(page, earlier)
    keep(page, "point")
