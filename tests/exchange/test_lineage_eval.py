"""The importer's lineage against hand-made gold links (bench/lineage_eval.py): floors a little
below what it reaches, so a regression fails."""

import pytest

from bench.lineage_eval import evaluate, overall

# What each pair reaches today (precision, recall), less a margin.
FLOORS = {
    "28-point -> E3 counter-proposal (2025-11-23)": (0.95, 0.95),
    "28-point -> Geneva revision (19 points, as reported)": (0.95, 0.95),
    "28-point -> 20-point framework (2025-12-23)": (0.85, 0.9),
    "28-point -> Ukrainian-European counter-proposal": (0.95, 0.85),
    "20-point (en) -> 20-point in Ukrainian": (0.95, 0.95),
    "28-point (en) -> E3 in Russian": (0.95, 0.95),
    "28-point (en) -> 20-point in Ukrainian": (0.8, 0.9),
    "28-point -> renumbered (3 dropped)": (0.95, 0.95),
    "28-point -> split (3 points in two)": (0.95, 0.95),
    "28-point -> merged (3 pairs)": (0.95, 0.95),
    "28-point -> reordered (4 moved)": (0.93, 0.95),
    "28-point -> paraphrased": (0.95, 0.95),
    "28-point -> all at once": (0.95, 0.95),
}


@pytest.fixture(scope="module")
def results():
    return evaluate()


def test_every_pair_of_the_evaluation_set_is_scored(results):
    assert [r.name for r in results] == list(FLOORS)


@pytest.mark.parametrize("name", list(FLOORS))
def test_each_pair_stays_above_its_floor(results, name):
    result = next(r for r in results if r.name == name)
    precision, recall = FLOORS[name]
    assert result.precision >= precision and result.recall >= recall, (
        result.gold - result.found,
        result.found - result.gold,
    )


def test_overall_precision_and_recall_meet_the_targets(results):
    pooled = overall(results)
    assert pooled.precision >= 0.95 and pooled.recall >= 0.95


def test_each_real_pair_finds_at_least_85_percent_of_its_links(results):
    assert all(r.recall >= 0.85 for r in results if r.kind == "real")
