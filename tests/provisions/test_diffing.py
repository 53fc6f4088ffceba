"""Word diffs grouped into readable phrases (provisions/diffing.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from provisions.diffing import DiffSegment, diff_sides, word_diff


def changes(segments: list[DiffSegment]) -> list[tuple[str, str]]:
    return [(segment.op, segment.text) for segment in segments if segment.op != "equal"]


def change_groups(segments: list[DiffSegment]) -> int:
    """How many places the reader's eye has to stop: runs of deleted or inserted text."""
    groups, inside = 0, False
    for segment in segments:
        if segment.op != "equal" and segment.text.strip():
            groups += not inside
            inside = True
        elif segment.op == "equal" and segment.text.strip():
            inside = False
    return groups


def test_a_replaced_phrase_is_deleted_and_inserted_whole():
    segments = word_diff("Crimea, Luhansk and Donetsk", "Crimea. Negotiations will start")
    assert changes(segments) == [
        ("delete", "Crimea, Luhansk and Donetsk"),
        ("insert", "Crimea. Negotiations will start"),
    ]


def test_one_changed_word_leaves_the_rest_of_the_sentence_equal():
    segments = word_diff("Ukraine will hold elections in 100 days.", "Ukraine will hold elections in 180 days.")
    assert [(s.op, s.text) for s in segments] == [
        ("equal", "Ukraine will hold elections in "),
        ("delete", "100"),
        ("insert", "180"),
        ("equal", " days."),
    ]


def test_a_reworded_sentence_is_a_few_phrases_not_a_confetti_of_words():
    old = "The armed forces of Ukraine will be capped at 600,000 personnel and will withdraw from the Donetsk region."
    new = "The size of the armed forces of Ukraine will be limited to 800,000 in peacetime; they withdraw from Donetsk."
    segments = word_diff(old, new)
    assert change_groups(segments) <= 3
    assert "The " in segments[0].text and segments[0].op == "equal"  # the unchanged opening stays unmarked


def test_a_short_equal_word_between_two_changes_is_folded_into_them():
    segments = word_diff("Sanctions will be lifted in stages", "Sanctions may be eased step by step")
    assert changes(segments) == [
        ("delete", "will be lifted in stages"),
        ("insert", "may be eased step by step"),
    ]


def test_a_long_equal_stretch_between_two_small_changes_is_kept():
    segments = word_diff(
        "A ceasefire takes effect once both parties agree to the memorandum and withdraw in 30 days.",
        "The ceasefire takes effect once both parties agree to the memorandum and withdraw in 60 days.",
    )
    assert changes(segments) == [("delete", "A"), ("insert", "The"), ("delete", "30"), ("insert", "60")]


def test_a_paragraph_break_for_a_space_is_whitespace_only():
    segments = word_diff("Point one.\n\nPoint two.", "Point one. Point two.")
    assert changes(segments) == [("delete", "\n\n"), ("insert", " ")]


def test_the_sides_hold_the_old_and_the_new_text():
    old_side, new_side = diff_sides(word_diff("cap at 600,000 troops", "cap at 800,000 troops"))
    assert "".join(s.text for s in old_side) == "cap at 600,000 troops"
    assert "".join(s.text for s in new_side) == "cap at 800,000 troops"
    assert [s.op for s in old_side if s.op != "equal"] == ["delete"]
    assert [s.op for s in new_side if s.op != "equal"] == ["insert"]


words = st.lists(st.sampled_from(["Ukraine", "Russia", "will", "the", "a", "100", "days.", "NATO,", "\n\n", " "]))


@given(old=words, new=words)
def test_segments_give_back_both_texts_exactly(old, new):
    old_text, new_text = " ".join(old), " ".join(new)
    segments = word_diff(old_text, new_text)
    assert "".join(s.text for s in segments if s.op != "insert") == old_text
    assert "".join(s.text for s in segments if s.op != "delete") == new_text
    assert all(s.text for s in segments)
    # Neighbouring segments never share an operation: each is one run.
    assert all(a.op != b.op for a, b in itertools.pairwise(segments))
