"""The dashboard's selectors and presentation helpers."""

from __future__ import annotations

import datetime
import itertools
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from actors.models import Actor
from dashboard.mapdata import territory_map
from dashboard.record import Record
from dashboard.selectors.convergence import ConvergenceSeries, ConvergenceStep, convergence_series
from dashboard.selectors.matrix import stance_matrix
from dashboard.selectors.points import filter_points
from dashboard.templatetags import dashboard_tags as tags
from provisions.diffing import word_diff
from provisions.points import PointFilter
from tests.factories import ActorFactory, PositionFactory, ProvisionFactory, TerritoryFactory, VersionFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 11, 20)


@pytest.fixture
def parties():
    us = ActorFactory(name="United States", short_code="US", is_principal=True, matrix_order=1)
    ru = ActorFactory(name="Russia", short_code="RU", is_principal=True, matrix_order=2)
    return us, ru


def test_a_partys_own_stance_wins_over_its_representatives(parties):
    us, _ = parties
    envoy = ActorFactory(represents=us, kind="person")
    point = ProvisionFactory()
    PositionFactory(actor=envoy, provision=point, stance="supports", taken_on=DAY)
    PositionFactory(actor=us, provision=point, stance="opposes", taken_on=DAY - datetime.timedelta(days=3))
    matrix = stance_matrix(Record(), point.version, Record().points(point.version), [us])
    cell = matrix.rows[0].cells[0]
    assert (cell.stance, cell.via) == ("opposes", None)


def test_without_a_party_stance_the_latest_representatives_counts(parties):
    us, _ = parties
    envoy, president = ActorFactory(represents=us, kind="person"), ActorFactory(represents=us, kind="person")
    point = ProvisionFactory()
    PositionFactory(actor=envoy, provision=point, stance="supports", taken_on=DAY)
    PositionFactory(actor=president, provision=point, stance="conditional", taken_on=DAY - datetime.timedelta(days=1))
    cell = stance_matrix(Record(), point.version, Record().points(point.version), [us]).rows[0].cells[0]
    assert (cell.stance, cell.via) == ("supports", envoy)


def test_convergence_counts_support_by_date_and_by_all(parties):
    us, ru = parties
    version = VersionFactory()
    one, two = ProvisionFactory(version=version), ProvisionFactory(version=version)
    PositionFactory(actor=us, provision=one, stance="supports", taken_on=datetime.date(2025, 11, 19))
    PositionFactory(actor=ru, provision=one, stance="opposes", taken_on=datetime.date(2025, 11, 19))
    PositionFactory(actor=ru, provision=one, stance="supports", taken_on=datetime.date(2025, 11, 21))
    PositionFactory(actor=us, provision=two, stance="supports", taken_on=datetime.date(2025, 11, 21))
    record = Record()
    series = convergence_series(record, version, record.points(version), [us, ru])
    assert [(s.day.day, s.supported[us.pk], s.supported[ru.pk], s.by_all) for s in series.steps] == [
        (19, 1, 0, 0),
        (21, 2, 1, 1),
    ]
    assert series.steps[-1].share_by_all == 0.5


def test_territory_filter_includes_the_parts_of_a_region(parties):
    region = TerritoryFactory(slug="donbas-test")
    part = TerritoryFactory(parent=region)
    version = VersionFactory()
    inside = ProvisionFactory(version=version)
    ProvisionFactory(version=version)
    from tests.factories import DispositionFactory

    DispositionFactory(provision=inside, territory=part)
    record = Record()
    matrix = stance_matrix(record, version, record.points(version), list(parties))
    rows = filter_points(matrix, PointFilter(territory=region))
    assert [row.point for row in rows] == [inside]


def test_changes_show_a_save_and_its_many_to_many_update_as_one(demo_data):
    changes = Record().changes(limit=50)
    keys = [(c.record_type, c.object_id, c.changed_at) for c in changes]
    assert len(keys) == len(set(keys))
    assert not Record().changes(limit=50, actions=["updated", "deleted"])


def test_stance_letters_and_labels():
    assert [tags.stance_letter(v) for v in ["supports", "conditional", "opposes", "mixed", "unclear", "none"]] == [
        "S",
        "C",
        "O",
        "M",
        "?",
        "–",
    ]
    assert tags.stance_label("none") == "No recorded stance"
    assert tags.stance_label("mixed") == "Mixed"


def test_dated_links_keep_as_of_before_the_fragment():
    request = SimpleNamespace(as_of_date=datetime.date(2025, 11, 20))
    assert tags.dated("/provisions/3/#claim-1", request) == "/provisions/3/?as_of=2025-11-20#claim-1"
    assert tags.dated("/?version=2", request) == "/?version=2&as_of=2025-11-20"
    assert tags.dated("/x/", SimpleNamespace()) == "/x/"


def test_dated_url_tag_reverses_adds_params_and_as_of():
    request = RequestFactory().get("/")
    request.as_of_date = datetime.date(2025, 11, 20)
    rendered = Template(
        "{% load dashboard_tags %}{% dated_url 'provisions:provision_list' version=3 topic='' %}"
    ).render(Context({"request": request}))
    assert rendered == "/provisions/?version=3&amp;as_of=2025-11-20"  # escaped for HTML


def test_diffs_render_escaped_insertions_and_deletions():
    html = tags.render_diff(word_diff("cap at <b>600,000</b>", "cap at 800,000"))
    assert "<del>&lt;b&gt;600,000&lt;/b&gt;</del>" in html
    assert "<ins>800,000</ins>" in html


def test_inline_diff_keeps_a_space_between_the_deleted_and_the_inserted_phrase():
    html = tags.render_diff(word_diff("Crimea, Luhansk and Donetsk", "Crimea. Negotiations will start"))
    assert html == "<del>Crimea, Luhansk and Donetsk</del> <ins>Crimea. Negotiations will start</ins>"
    html = tags.render_diff(word_diff("It will be agreed.", "It will start."))
    assert "</del> <ins>" in html


def test_inline_diff_does_not_mark_a_change_of_whitespace_alone():
    assert tags.render_diff(word_diff("One.\n\nTwo.", "One. Two.")) == "One. Two."


def test_diff_sides_show_the_old_text_with_deletions_and_the_new_with_insertions():
    segments = word_diff("cap at <b>600,000</b> troops", "cap at 800,000 troops")
    assert tags.render_diff_side(segments, "old") == "cap at <del>&lt;b&gt;600,000&lt;/b&gt;</del> troops"
    assert tags.render_diff_side(segments, "new") == "cap at <ins>800,000</ins> troops"


def test_shares_and_percentages():
    from decimal import Decimal

    assert tags.share(Decimal("12.00")) == "12%"
    assert tags.share(Decimal("14.50")) == "14.5%"
    assert tags.share(None) == "no figure"
    assert tags.percent(0.142857) == "14%"


def test_chart_scales_to_the_highest_share_and_keeps_labels_apart():
    parties = [SimpleNamespace(pk=i, label=f"P{i}", name=f"Party {i}") for i in range(4)]
    steps = [
        ConvergenceStep(datetime.date(2025, 11, 19), {0: 1}, 0, 10),
        ConvergenceStep(datetime.date(2025, 11, 21), {0: 2}, 0, 10),
    ]
    geometry = tags.chart_geometry(ConvergenceSeries(None, parties, steps, 10), 760, 320)
    assert geometry["ceiling"] == 20
    assert [t["label"] for t in geometry["ticks"]] == ["0%", "5%", "10%", "15%", "20%"]
    labels = sorted(item["label_y"] for item in [*geometry["lines"], geometry["everyone"]])
    assert all(b - a >= 14 for a, b in itertools.pairwise(labels))
    assert labels[-1] <= 320 and labels[0] >= 0
    # US's line steps up from 10 % to 20 % (the ceiling, at the top of the plot).
    assert geometry["lines"][0]["dots"][1]["y"] == geometry["top"]


def test_map_stripes_a_territory_with_several_dispositions_and_lists_those_not_drawn():
    rows = [
        SimpleNamespace(
            territory=SimpleNamespace(slug="donetsk", name="Donetsk oblast", pk=1),
            codes=["demilitarized_zone", "recognized_russian_de_facto"],
            observations=[],
        ),
        SimpleNamespace(territory=SimpleNamespace(slug="crimea", name="Crimea", pk=2), codes=[], observations=[]),
        SimpleNamespace(
            territory=SimpleNamespace(slug="kharkiv", name="Kharkiv oblast", pk=3), codes=[], observations=[]
        ),
    ]
    drawn = territory_map(rows)
    donetsk = next(shape for shape in drawn.shapes if shape.slug == "donetsk")
    assert donetsk.codes == ["DMZ", "RU-f"] and len(donetsk.stripes) == 2
    assert [t.name for t in drawn.not_drawn] == ["Kharkiv oblast"]
    assert [item["code"] for item in drawn.legend] == ["RU-f", "DMZ", "–"]
    assert donetsk.d.startswith("M") and donetsk.d.endswith("Z")


@pytest.mark.parametrize(
    ("shares", "label"),
    [
        ([("14.50", None), ("12.00", "88.00")], "UA 12% / 14.5%"),
        ([("12.00", "88.00"), ("12.00", None)], "UA 12%"),
        ([(None, "80.00")], "RU 80%"),
        ([(None, None)], ""),
        ([], ""),
    ],
)
def test_map_control_label_gives_each_sources_current_share(shares, label):
    from decimal import Decimal

    from dashboard.mapdata import control_label

    observations = [
        SimpleNamespace(
            ukraine_share=Decimal(ua) if ua else None,
            russia_share=Decimal(ru) if ru else None,
        )
        for ua, ru in shares
    ]
    assert control_label(observations) == label


def test_actor_principal_columns_come_from_the_model(parties):
    assert [a.short_code for a in Record().principal_parties()] == ["US", "RU"]
    assert Actor.objects.principal().count() == 2


def contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_no_stance_dash_is_readable_on_white_and_on_the_whole_version_row():
    import re
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "dashboard" / "dashboard.css").read_text()
    ink = re.search(r"--none-ink:\s*(#[0-9a-fA-F]{6})", css).group(1)
    assert contrast(ink, "#ffffff") >= 4.5 and contrast(ink, "#f7f9fc") >= 4.5
