"""Comparing versions by lineage, following a point across drafts, word diffs, as-of reads."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from actors.as_of import positions_as_of
from api.params import parse_as_of
from history.records import end_of_day
from history.writing import save_recorded
from provisions.as_of import provisions_as_of, territories_as_of
from provisions.diffing import similarity, word_diff
from provisions.selectors import compare_versions, lineage_of
from provisions.services import lineage_link, provision_update
from tests.factories import (
    ActorFactory,
    ControlObservationFactory,
    PlanFactory,
    PositionFactory,
    ProvisionFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts():
    """A 4-point draft and a revision: 1 unchanged, 2 reworded and renumbered as 3, 3+4 merged into 2, 5 new."""
    plan = PlanFactory()
    old = VersionFactory(plan=plan, label="28-point draft", dated=datetime.date(2025, 11, 20))
    new = VersionFactory(plan=plan, label="19-point revision", dated=datetime.date(2025, 11, 24), revises=old)
    o = {
        n: ProvisionFactory(version=old, number=str(n), title=f"Old {n}", text=f"Text of point {n}.")
        for n in range(1, 5)
    }
    n1 = ProvisionFactory(version=new, number="1", title="Old 1", text="Text of point 1.")
    n2 = ProvisionFactory(version=new, number="2", title="Merged", text="Points three and four together.")
    n3 = ProvisionFactory(version=new, number="3", title="Old 2", text="Text of point 2, reworded.")
    n5 = ProvisionFactory(version=new, number="4", title="Brand new", text="A new point.")
    lineage_link(provision=n1, derives_from=o[1], relation="carried")
    lineage_link(provision=n3, derives_from=o[2])
    lineage_link(provision=n2, derives_from=o[3], relation="merged")
    lineage_link(provision=n2, derives_from=o[4], relation="merged")
    return old, new, o, {"n1": n1, "n2": n2, "n3": n3, "n5": n5}


def test_compare_follows_lineage_not_numbers(drafts):
    old, new, o, n = drafts
    comparison = compare_versions(old, new)
    by_new = {c.new.pk: c for c in comparison.changes if c.new}
    assert by_new[n["n1"].pk].kind == "unchanged"
    renumbered = by_new[n["n3"].pk]
    assert renumbered.kind == "changed"
    assert [p.pk for p in renumbered.old] == [o[2].pk]
    assert "number" in renumbered.changed_fields and "text" in renumbered.changed_fields
    merged = by_new[n["n2"].pk]
    assert merged.kind == "changed" and merged.changed_fields == ["merged"]
    assert {p.pk for p in merged.old} == {o[3].pk, o[4].pk}
    assert by_new[n["n5"].pk].kind == "added"
    assert comparison.counts == {"added": 1, "removed": 0, "changed": 2, "unchanged": 1, "unknown": 0}


def test_a_point_nothing_derives_from_is_removed(drafts):
    old, new, _o, _n = drafts
    dropped = ProvisionFactory(version=old, number="5", title="Dropped", text="Gone.")
    removed = compare_versions(old, new).of_kind("removed")
    assert [c.old[0].pk for c in removed] == [dropped.pk]


def test_a_split_point_is_marked_split_on_both_halves(drafts):
    old, new, o, _n = drafts
    half = ProvisionFactory(version=new, number="5", title="Other half", text="Text of point 2, second half.")
    lineage_link(provision=half, derives_from=o[2], relation="split")
    changes = [c for c in compare_versions(old, new).changes if c.old and c.old[0].pk == o[2].pk]
    assert len(changes) == 2
    assert all("split" in c.changed_fields for c in changes)


def test_compare_follows_lineage_through_an_intermediate_version(drafts):
    old, _new, o, n = drafts
    third = VersionFactory(plan=old.plan, label="Final", dated=datetime.date(2025, 11, 30))
    final = ProvisionFactory(version=third, number="9", title="Old 2", text="Text of point 2, final wording.")
    lineage_link(provision=final, derives_from=n["n3"])
    change = next(c for c in compare_versions(old, third).changes if c.new == final)
    assert change.kind == "changed" and change.old == [o[2]]


def test_comparing_a_version_with_itself_shows_every_point_unchanged(drafts):
    old, _new, o, _n = drafts
    comparison = compare_versions(old, old)
    assert comparison.counts == {"added": 0, "removed": 0, "changed": 0, "unchanged": 4, "unknown": 0}
    assert [(c.old, c.new) for c in comparison.changes] == [([o[k]], o[k]) for k in range(1, 5)]


def test_compare_runs_a_fixed_number_of_queries(drafts, django_assert_max_num_queries):
    old, new, _, _ = drafts
    with django_assert_max_num_queries(4):
        compare_versions(old, new)
    for extra in range(5, 30):
        point = ProvisionFactory(version=new, number=str(extra))
        source = ProvisionFactory(version=old, number=str(extra))
        lineage_link(provision=point, derives_from=source)
    with django_assert_max_num_queries(4):
        compare_versions(old, new)


def test_lineage_of_lists_the_point_in_earlier_and_later_versions(drafts):
    _old, _new, o, n = drafts
    earlier, later = lineage_of(n["n3"])
    assert [step.provision for step in earlier] == [o[2]]
    assert later == []
    earlier, later = lineage_of(o[3])
    assert [step.provision for step in later] == [n["n2"]]


def test_lineage_of_follows_links_through_versions_in_two_queries(drafts, django_assert_num_queries):
    old, new, o, n = drafts
    final = VersionFactory(plan=old.plan, label="Final", dated=datetime.date(2025, 12, 1), revises=new)
    last = ProvisionFactory(version=final, number="1", text="Text of point 2, reworded again.")
    lineage_link(provision=last, derives_from=n["n3"], relation="carried")
    answer = VersionFactory(plan=PlanFactory(answers=old.plan), label="Counter-proposal")
    countered = ProvisionFactory(version=answer, number="1", text="Point 2, countered.")
    lineage_link(provision=countered, derives_from=o[2])
    with django_assert_num_queries(2):
        earlier, later = lineage_of(o[2])
    assert earlier == []
    assert [(step.provision, step.depth) for step in later] == [(countered, 1), (n["n3"], 1), (last, 2)]
    # Direct neighbours carry their link; a point two steps away has none of its own.
    assert [step.link.relation if step.link else None for step in later] == ["reworded", "reworded", None]
    with django_assert_num_queries(2):
        earlier, later = lineage_of(last)
    assert [(step.provision, step.depth, step.link is not None) for step in earlier] == [
        (n["n3"], -1, True),
        (o[2], -2, False),
    ]


def test_word_diff_marks_inserted_and_deleted_words():
    segments = word_diff("Ukraine will hold elections in 100 days.", "Ukraine will hold elections in 180 days.")
    assert [(s.op, s.text) for s in segments if s.op != "equal"] == [("delete", "100"), ("insert", "180")]
    assert "".join(s.text for s in segments if s.op != "insert") == "Ukraine will hold elections in 100 days."


def test_similarity_is_one_for_equal_texts_and_low_for_unrelated_ones():
    assert similarity("A ceasefire takes effect.", "a ceasefire takes effect.") == 1.0
    assert similarity("A ceasefire takes effect.", "Frozen assets fund reconstruction.") < 0.3


@pytest.mark.parametrize(
    "value", ["2025-13-01", "yesterday", "2025/11/20", "20251120", "2025-W47-4", "2025-11-20T10:00"]
)
def test_as_of_rejects_malformed_dates(value):
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        parse_as_of(value)


def test_as_of_rejects_future_dates():
    with pytest.raises(ValidationError, match="future"):
        parse_as_of((datetime.date.today() + datetime.timedelta(days=2)).isoformat())


def test_provisions_as_of_show_the_stance_recorded_then():
    point = save_recorded(ProvisionFactory.build(version=VersionFactory(), title="Army cap"), recorded_at=day(20))
    position = PositionFactory.build(
        actor=ActorFactory(), provision=point, version=point.version, stance="opposes", taken_on=day(20).date()
    )
    save_recorded(position, m2m={"sources": [ControlObservationFactory().source]}, recorded_at=day(20))
    later = PositionFactory.build(
        actor=position.actor, provision=point, version=point.version, stance="conditional", taken_on=day(23).date()
    )
    save_recorded(later, m2m={"sources": list(position.sources.all())}, recorded_at=day(23))
    provision_update(provision=point, title="Army cap of 800,000")

    [then] = provisions_as_of(day(21), version_id=point.version_id)
    assert then.title == "Army cap"
    assert [p.stance for p in then.stances] == ["opposes"]
    assert then.stances[0].source_list == list(position.sources.all())
    [now] = provisions_as_of(end_of_day(datetime.date.today()), version_id=point.version_id)
    assert [p.stance for p in now.stances] == ["conditional"]
    assert len(positions_as_of(day(24), provision_id=point.pk)) == 2


def test_territories_as_of_carry_the_observations_recorded_then():
    observation = ControlObservationFactory(ukraine_share=12)
    [territory] = territories_as_of(end_of_day(datetime.date.today()))
    assert territory.observations_list == [observation]
    assert territories_as_of(day(1)) == []


def day(n: int) -> datetime.datetime:
    return end_of_day(datetime.date(2025, 11, n))
