"""Word-level differences between two texts of a point."""

import difflib
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffSegment:
    op: str  # "equal", "insert" or "delete"
    text: str


def word_diff(old: str, new: str) -> list[DiffSegment]:
    """Segments that turn `old` into `new`, word by word, whitespace kept."""
    old_tokens, new_tokens = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    segments: list[DiffSegment] = []

    def add(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if segments and segments[-1].op == op:
            segments[-1] = DiffSegment(op, segments[-1].text + text)
        else:
            segments.append(DiffSegment(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", old_tokens[i1:i2])
        else:
            add("delete", old_tokens[i1:i2])
            add("insert", new_tokens[j1:j2])
    return segments


def similarity(old: str, new: str) -> float:
    """0–1 word-level similarity of two texts."""
    matcher = difflib.SequenceMatcher(a=(old or "").lower().split(), b=(new or "").lower().split(), autojunk=False)
    return round(matcher.ratio(), 4)
