"""Word-level differences between two texts of a point, grouped into readable phrases.

Words are matched with difflib; then, as diff-match-patch's `cleanupSemantic` does for
characters, a short run of equal words between two changes is folded into them, so that a
reworded sentence reads as one phrase struck out and one phrase put in, not as a confetti
of single words. Whitespace is kept: the `equal` and `delete` segments joined give the old
text back, the `equal` and `insert` segments the new one.
"""

import difflib
import re
from dataclasses import dataclass

# A word with the whitespace after it; a text's leading whitespace is a token of its own.
_TOKENS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class DiffSegment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass
class _Run:
    """Tokens of the old and of the new text: equal (same words) or a change."""

    equal: bool
    old: list[str]
    new: list[str]

    @property
    def old_length(self) -> int:
        return sum(len(token) for token in self.old)

    @property
    def new_length(self) -> int:
        return sum(len(token) for token in self.new)


def word_diff(old: str, new: str) -> list[DiffSegment]:
    """Segments that turn `old` into `new`: equal text, and each changed phrase as a
    `delete` followed by an `insert` (either may be missing), whitespace kept."""
    old_tokens, new_tokens = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    # Compare words without their trailing whitespace: a line break for a space is no change of wording.
    matcher = difflib.SequenceMatcher(
        a=[token.rstrip() for token in old_tokens], b=[token.rstrip() for token in new_tokens], autojunk=False
    )
    runs = [_Run(tag == "equal", old_tokens[i1:i2], new_tokens[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    return _segments(_merge_short_equalities(runs))


def _merge_short_equalities(runs: list[_Run]) -> list[_Run]:
    """Fold into the surrounding changes every equal run between two changes that is no longer
    than the longer side of the change before it and of the change after it (cleanupSemantic's
    rule, counted in characters), until none is left."""
    changed = True
    while changed:
        changed = False
        for index in range(1, len(runs) - 1):
            before, run, after = runs[index - 1], runs[index], runs[index + 1]
            if not run.equal or before.equal or after.equal:
                continue
            length = run.new_length
            if length <= max(before.old_length, before.new_length) and length <= max(
                after.old_length, after.new_length
            ):
                merged = _Run(False, before.old + run.old + after.old, before.new + run.new + after.new)
                runs[index - 1 : index + 2] = [merged]
                changed = True
                break
    return runs


def _segments(runs: list[_Run]) -> list[DiffSegment]:
    segments: list[DiffSegment] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = DiffSegment(op, segments[-1].text + text)
        else:
            segments.append(DiffSegment(op, text))

    for run in runs:
        if run.equal:
            for old_token, new_token in zip(run.old, run.new, strict=True):
                if old_token == new_token:
                    add("equal", new_token)
                else:
                    # The same word, other whitespace after it (e.g. a paragraph break for a space).
                    word = new_token.rstrip()
                    add("equal", word)
                    add("delete", old_token[len(word) :])
                    add("insert", new_token[len(word) :])
            continue
        deleted, inserted = "".join(run.old), "".join(run.new)
        # Whitespace both sides end with is kept text, so that a phrase is marked without the space after it.
        kept = _common_trailing_whitespace(deleted, inserted)
        add("delete", deleted[: len(deleted) - len(kept)])
        add("insert", inserted[: len(inserted) - len(kept)])
        add("equal", kept)
    return segments


def _common_trailing_whitespace(a: str, b: str) -> str:
    if not a or not b:
        return ""
    trailing_a, trailing_b = a[len(a.rstrip()) :], b[len(b.rstrip()) :]
    common = 0
    while common < min(len(trailing_a), len(trailing_b)) and trailing_a[-1 - common] == trailing_b[-1 - common]:
        common += 1
    return trailing_a[len(trailing_a) - common :]


def diff_sides(segments: list[DiffSegment]) -> tuple[list[DiffSegment], list[DiffSegment]]:
    """The segments of the old text (equal and deleted) and of the new one (equal and inserted),
    for a side-by-side view."""
    old = [segment for segment in segments if segment.op != "insert"]
    new = [segment for segment in segments if segment.op != "delete"]
    return old, new


def similarity(old: str, new: str) -> float:
    """0–1 word-level similarity of two texts."""
    matcher = difflib.SequenceMatcher(a=(old or "").lower().split(), b=(new or "").lower().split(), autojunk=False)
    return round(matcher.ratio(), 4)
