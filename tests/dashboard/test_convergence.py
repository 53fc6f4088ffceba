"""Convergence "from draft to draft": the share of each party's stances that accept each version."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, Position
from dashboard.record import Record
from dashboard.selectors.convergence import VERSIONS_PER_PAGE, acceptance_across_versions, current_stance_rows
from history.records import end_of_day
from provisions.models import Source, Version
from tests.factories import ProvisionFactory, VersionFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def shares(across) -> dict[str, list[float | None]]:
    return {party.label: [row.share(party.pk) for row in across.rows] for party in across.parties}


def stance(actor: Actor, version, provision=None, *, value: str, on: datetime.date, attributed: bool = False):
    position = Position.objects.create(
        actor=actor,
        version=version,
        provision=provision,
        stance=value,
        summary="A stance for the test.",
        taken_on=on,
        attribution="attributed" if attributed else "stated",
        attributed_to="a US official speaking to Axios" if attributed else "",
    )
    position.sources.set([Source.objects.first()])
    return position


def test_the_parties_lines_differ_on_the_demo_record(draft):
    record = Record()
    across = acceptance_across_versions(record, record.positions(current=True))
    lines = shares(across)
    assert len(across.rows) >= 2
    assert [row.version.dated for row in across.rows] == sorted(row.version.dated for row in across.rows)
    drawn = {label: values for label, values in lines.items() if any(v is not None for v in values)}
    assert len(drawn) >= 3, lines
    assert len({tuple(values) for values in drawn.values()}) == len(drawn), lines  # no two parties alike
    assert any(v not in (None, 0.0) for values in drawn.values() for v in values), lines  # not all on 0 %


def test_a_party_accepts_what_it_supports_or_accepts_with_conditions_counting_points_and_the_whole(draft):
    ukraine = Actor.objects.get(short_code="UA")
    later = VersionFactory(plan=draft.plan, label="Later draft", dated=datetime.date(2025, 12, 24))
    first, second, third = (ProvisionFactory(version=later, number=str(n)) for n in (1, 2, 3))
    stance(ukraine, later, first, value="supports", on=datetime.date(2025, 12, 25))
    stance(ukraine, later, second, value="opposes", on=datetime.date(2025, 12, 25))
    stance(ukraine, later, second, value="conditional", on=datetime.date(2025, 12, 26))  # the current one
    stance(ukraine, later, third, value="opposes", on=datetime.date(2025, 12, 25))
    stance(ukraine, later, value="mixed", on=datetime.date(2025, 12, 25))  # the version as a whole
    record = Record()
    row = acceptance_across_versions(record, record.positions(current=True)).rows[-1]
    assert row.version == later
    assert (row.accepted[ukraine.pk], row.counted[ukraine.pk], row.share(ukraine.pk)) == (2, 4, 0.5)


def test_an_attributed_current_stance_counts_only_when_asked(draft):
    ukraine = Actor.objects.get(short_code="UA")
    later = VersionFactory(plan=draft.plan, label="Later draft", dated=datetime.date(2025, 12, 24))
    stance(ukraine, later, value="supports", on=datetime.date(2025, 12, 25))
    stance(ukraine, later, value="opposes", on=datetime.date(2025, 12, 26), attributed=True)
    record = Record()
    current = record.positions(current=True)
    # The current stance is the attributed one: stated only (actors.stances), Ukraine has none here.
    stated = acceptance_across_versions(record, current).rows
    assert later not in [row.version for row in stated]
    row = acceptance_across_versions(record, current, attributed=True).rows[-1]
    assert (row.version, row.accepted[ukraine.pk], row.counted[ukraine.pk]) == (later, 0, 1)


def test_a_party_with_no_stance_on_a_version_has_no_share_there_not_zero(draft):
    russia = Actor.objects.get(short_code="RU")
    ukraine = Actor.objects.get(short_code="UA")
    later = VersionFactory(plan=draft.plan, label="Later draft", dated=datetime.date(2025, 12, 24))
    stance(russia, later, value="mixed", on=datetime.date(2025, 12, 25))
    stance(ukraine, later, value="conditional", on=datetime.date(2025, 12, 25))
    record = Record()
    row = acceptance_across_versions(record, record.positions(current=True)).rows[-1]
    assert row.version == later
    assert row.share(russia.pk) == 0.0
    assert row.share(ukraine.pk) == 1.0
    assert row.share(Actor.objects.get(short_code="US").pk) is None


def test_convergence_page_opens_with_the_draft_to_draft_chart_and_its_table(client, draft):
    response = client.get(reverse("provisions:convergence"))
    body = html(response)
    main = body[body.index("<main") :]
    first_section = main[main.index("<section") : main.index("</section>")]
    assert "From draft to draft: share of each party’s stances that accept the version" in first_section
    assert first_section.count("<svg viewBox=") == 2  # drawn wide and narrow, one shown
    assert "<table" in first_section and "<caption" in first_section
    across = response.context["acceptance"]
    for number, row in enumerate(across.rows, start=1):
        assert f"{number}. <a href=" in first_section and row.version.label in first_section
    assert main.index("acceptance-title") < main.index("across-title") < main.index("chart-title")


def test_convergence_page_counts_attributed_stances_only_when_asked(client, draft):
    russia = Actor.objects.get(short_code="RU")
    later = VersionFactory(plan=draft.plan, label="Later draft", dated=datetime.date(2025, 12, 24))
    stance(russia, later, value="supports", on=datetime.date(2025, 12, 25), attributed=True)
    url = reverse("provisions:convergence")
    stated = client.get(url).context["acceptance"]
    assert later not in [row.version for row in stated.rows]
    counted = client.get(url, {"attributed": "1"})
    row = counted.context["acceptance"].rows[-1]
    assert (row.version, row.share(russia.pk)) == (later, 1.0)
    assert "Count stated stances only" in html(counted)
    assert "Count attributed stances too" in html(client.get(url))


def test_convergence_page_says_it_is_dated_by_each_stances_own_date(client, draft):
    body = html(client.get(reverse("provisions:convergence")))
    assert "Dated by each stance’s own date" in body
    assert "“Record as of” goes by" in body


# --- A page of versions at a time -------------------------------------------------------------

TODAY = {"as_of": datetime.date.today().isoformat()}


def later_versions(draft, count: int, *, start: int = 0) -> list:
    """`count` versions after every demo version (from `start` days after 1 June 2026), each
    with Ukraine's stance on it as a whole."""
    ukraine = Actor.objects.get(short_code="UA")
    made = []
    for n in range(count):
        dated = datetime.date(2026, 6, 1) + datetime.timedelta(days=start + n)
        version = VersionFactory(plan=draft.plan, label=f"Draft of {dated:%d %B}", dated=dated)
        stance(ukraine, version, value="supports" if n % 2 else "conditional", on=dated)
        made.append(version)
    return made


@pytest.mark.parametrize("params", [{}, TODAY], ids=["live", "as-of"])
def test_draft_to_draft_tables_show_the_newest_versions_and_link_to_the_older_ones(client, draft, params):
    added = later_versions(draft, VERSIONS_PER_PAGE + 3 - Version.objects.count())
    oldest_first = sorted(Version.objects.all(), key=lambda v: (v.dated, v.pk))
    newest, older = oldest_first[-VERSIONS_PER_PAGE:], oldest_first[:-VERSIONS_PER_PAGE]
    url = reverse("provisions:convergence")
    response = client.get(url, {"version": draft.pk, **params})
    acceptance, across = response.context["acceptance"], response.context["across"]
    shown = [row.version.pk for row in acceptance.rows]
    assert set(shown) <= {v.pk for v in newest} and {v.pk for v in added} <= set(shown)
    assert {row.version.pk for row in across} <= {v.pk for v in newest}
    body = html(response)
    assert "Older versions →" in body and "page=2" in body and "← Newer versions" not in body

    response = client.get(url, {"version": draft.pk, "page": "2", **params})
    shown = [row.version.pk for row in response.context["acceptance"].rows]
    assert shown and set(shown) <= {v.pk for v in older}
    assert {row.version.pk for row in response.context["across"]} <= {v.pk for v in older}
    body = html(response)
    assert "← Newer versions" in body and "These are the oldest versions." in body
    # The series within the version in focus does not depend on the page.
    assert response.context["series"].steps == client.get(url, {"version": draft.pk, **params}).context["series"].steps


def test_the_demo_record_fits_on_one_page_of_versions(client, draft):
    body = html(client.get(reverse("provisions:convergence")))
    assert "Older versions" not in body and "Newer versions" not in body


@pytest.mark.parametrize("attributed", [False, True])
@pytest.mark.parametrize("as_of", [False, True], ids=["live", "as-of"])
def test_stance_rows_count_as_the_full_stances_do(draft, attributed, as_of):
    """The values read by the page and the model instances give the same table (one rule)."""
    later_versions(draft, 2)
    record = Record(end_of_day(datetime.date.today()) if as_of else None)
    versions = record.versions()
    light = acceptance_across_versions(record, current_stance_rows(record, versions), attributed=attributed)
    full = acceptance_across_versions(record, record.positions(current=True), attributed=attributed)
    as_rows = [(row.version.pk, row.accepted, row.counted) for row in light.rows]
    assert as_rows == [(row.version.pk, row.accepted, row.counted) for row in full.rows]
    assert len(as_rows) >= 3


@pytest.mark.parametrize("params", [{}, TODAY], ids=["live", "as-of"])
@pytest.mark.parametrize("number", ["1", "2"])
def test_the_convergence_page_runs_the_same_queries_however_many_versions(
    client, draft, params, number, django_assert_max_num_queries
):
    url = reverse("provisions:convergence")
    later_versions(draft, VERSIONS_PER_PAGE + 3 - Version.objects.count())
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"version": draft.pk, "page": number, **params})
    later_versions(draft, 2 * VERSIONS_PER_PAGE, start=100)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url, {"version": draft.pk, "page": number, **params})
    assert response.context["versions_page"].versions
