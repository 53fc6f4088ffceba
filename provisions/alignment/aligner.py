"""Which points of a new text derive from which points of the version it revises.

One global decision, in four steps:

1. Every point becomes three sparse TF-IDF vectors: its stemmed words, the
   character 4-grams of its words (robust to rewording and inflection), and the
   concepts and figures it names (language-independent, see `vocabulary`).
2. Candidates: for each new point, the earlier points sharing its rarer features
   (top k of a sparse product over features found in few points), the point with
   the same number and those at about the same relative position. Each candidate
   pair gets a score from the text similarity (or, across languages, the concepts
   and figures named), the number, the relative position, what both name and the
   recorded lineage of the earlier point (the wording it derives from counts too).
3. The links: the heaviest chain of pairs in the order of both texts (dynamic
   programming over the pairs, O(p log p) with a Fenwick tree; gaps allowed), then
   an assignment (Hungarian method per connected group) among the points left, for
   points that moved; then splits and merges: a point left over that is mostly made
   of an already linked point's words, or sits next to its other part.
4. Each link keeps its score, its relation (carried, reworded, moved, split,
   merged) and a one-line reason an editor can check.

Only a bounded number of candidates per point are scored, so the cost grows with
n log n, not n × m.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..numbering import point_sort_key
from .language import LANGUAGE_NAMES, UNKNOWN, detect_language, stems, words
from .vocabulary import concepts, numbers

CARRIED, REWORDED, MOVED, SPLIT, MERGED = "carried", "reworded", "moved", "split", "merged"

# Candidates per new point from the shared rarer features.
TOP_K = 8
# Positions either side of the expected one that are always candidates.
WINDOW = 2
# A feature found in more points than this says little about which point is which: it is
# left out of the candidate search (not out of the scores).
MIN_FEATURE_CAP = 30
# Scores (0–1) a pair needs: in order with its neighbours, out of order (moved), as the second
# part of a split or merge (by containment, or next to its other part).
CHAIN_THRESHOLD = 0.30
MOVED_THRESHOLD = 0.42
PART_THRESHOLD = 0.22
NEXT_PART_THRESHOLD = 0.30
# Share of a point's words found in the other for a split or a merge.
CONTAINMENT = 0.5
STRONG_CONTAINMENT = 0.8
# Share of new points whose best textual match has their number, from which numbers count as
# evidence ("the new text edits the old one point by point").
NUMBERING_AGREES = 0.5


@dataclass(frozen=True)
class Point:
    """What the aligner needs of a point: its number, its text, and for an earlier point the
    topics recorded and the texts of the points it derives from (recorded lineage)."""

    number: str
    text: str
    topics: tuple[str, ...] = ()
    earlier_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    new: int  # index of the new point
    old: int  # index of the earlier point
    score: float
    relation: str
    reason: str


@dataclass
class Alignment:
    links: list[Link]
    new_language: str
    old_language: str
    numbering_agrees: bool = False
    candidates: int = 0

    def of_new(self, index: int) -> list[Link]:
        return [link for link in self.links if link.new == index]


@dataclass
class _Side:
    points: Sequence[Point]
    language: str
    stems: list[list[str]] = field(default_factory=list)
    stem_sets: list[frozenset[str]] = field(default_factory=list)
    grams: list[list[str]] = field(default_factory=list)
    named: list[Counter[str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    mains: list[str] = field(default_factory=list)
    plain: list[tuple[str, ...]] = field(default_factory=list)
    ancestors: list[list[str]] = field(default_factory=list)


def _char_grams(tokens: list[str]) -> list[str]:
    grams: list[str] = []
    for token in tokens:
        padded = f"<{token}>"
        if len(padded) <= 5:
            grams.append(padded)
        else:
            grams.extend(padded[k : k + 4] for k in range(len(padded) - 3))
    return grams


def _side(points: Sequence[Point], progress: Callable[[int, int], None] | None = None) -> _Side:
    side = _Side(points=points, language=detect_language(" ".join(p.text for p in points[:200])))
    for index, point in enumerate(points):
        tokens = words(point.text)
        point_stems = stems(tokens, side.language)
        side.plain.append(tuple(tokens))
        side.stems.append(point_stems)
        side.stem_sets.append(frozenset(point_stems))
        side.grams.append(_char_grams(point_stems))
        named = concepts(point.text)
        named.update(f"#{figure}" for figure in numbers(point.text))
        named.update(f"@{topic}" for topic in point.topics)
        side.named.append(named)
        side.keys.append(point_sort_key(point.number))
        side.mains.append(re.match(r"\d*", point.number).group(0))
        side.ancestors.append([s for text in point.earlier_texts for s in stems(words(text), side.language)])
        if progress:
            progress(index + 1, len(points))
    return side


def _tfidf(new_docs: list[list[str]], old_docs: list[list[str]]) -> tuple[csr_matrix, csr_matrix, np.ndarray]:
    """Row-normalized TF-IDF (sublinear tf) of both sides over one vocabulary; also each feature's df."""
    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for row, doc in enumerate([*new_docs, *old_docs]):
        for term, count in Counter(doc).items():
            rows.append(row)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            values.append(1.0 + math.log(count))
    total = len(new_docs) + len(old_docs)
    matrix = csr_matrix((values, (rows, cols)), shape=(total, max(len(vocabulary), 1)), dtype=np.float64)
    df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=matrix.shape[1]) if cols else np.zeros(1)
    idf = np.log((total + 1) / (df + 1)) + 1.0
    matrix = matrix.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = csr_matrix(matrix.multiply(1.0 / norms[:, None]))
    return matrix[: len(new_docs)], matrix[len(new_docs) :], df


def _pair_cosines(new: csr_matrix, old: csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if not len(rows):
        return np.zeros(0)
    return np.asarray(new[rows].multiply(old[cols]).sum(axis=1)).ravel()


def _candidates(spaces: list[tuple[csr_matrix, csr_matrix, np.ndarray]], new: _Side, old: _Side) -> list[set[int]]:
    n, m = len(new.points), len(old.points)
    cap = max(MIN_FEATURE_CAP, int(4 * math.log2(n + m + 1)))
    blocked = None
    for new_matrix, old_matrix, df in spaces:
        keep = np.where(df <= cap, 1.0, 0.0)
        product = new_matrix.multiply(keep).tocsr() @ old_matrix.multiply(keep).tocsr().T
        blocked = product if blocked is None else blocked + product
    blocked = blocked.tocsr()
    by_key = defaultdict(list)
    for j, key in enumerate(old.keys):
        by_key[key].append(j)
    found: list[set[int]] = []
    for i in range(n):
        start, end = blocked.indptr[i], blocked.indptr[i + 1]
        columns, scores = blocked.indices[start:end], blocked.data[start:end]
        if len(columns) > TOP_K:
            best = np.argpartition(-scores, TOP_K)[:TOP_K]
            columns = columns[best]
        row = set(columns.tolist())
        expected = round(i * (m - 1) / (n - 1)) if n > 1 else 0
        row.update(range(max(0, expected - WINDOW), min(m, expected + WINDOW + 1)))
        row.update(by_key.get(new.keys[i], ()))
        found.append(row)
    return found


@dataclass
class _Pair:
    i: int
    j: int
    score: float
    text: float
    kept: float  # share of the earlier point's words found in the new one
    inside: float  # share of the new point's words found in the earlier one
    same_number: bool
    shared: list[str]


def _relative(index: int, count: int) -> float:
    return index / (count - 1) if count > 1 else 0.5


def _score_pairs(new: _Side, old: _Side, candidates: list[set[int]]) -> tuple[list[_Pair], bool]:
    n, m = len(new.points), len(old.points)
    words_new, words_old, _ = _tfidf(new.stems, old.stems)
    grams_new, grams_old, _ = _tfidf(new.grams, old.grams)
    named_new, named_old, _ = _tfidf([list(c.elements()) for c in new.named], [list(c.elements()) for c in old.named])
    rows = np.array([i for i, row in enumerate(candidates) for _ in row], dtype=np.int64)
    cols = np.array([j for row in candidates for j in sorted(row)], dtype=np.int64)
    text = 0.5 * _pair_cosines(words_new, words_old, rows, cols) + 0.5 * _pair_cosines(grams_new, grams_old, rows, cols)
    named = _pair_cosines(named_new, named_old, rows, cols)
    if any(old.ancestors):
        _, ancestors_old, _ = _tfidf(new.stems, old.ancestors)
        text = np.maximum(text, 0.9 * _pair_cosines(words_new, ancestors_old, rows, cols))
    cross = new.language != old.language and UNKNOWN not in (new.language, old.language)
    same_number = np.array([new.keys[i] == old.keys[j] for i, j in zip(rows, cols, strict=True)], dtype=bool)
    same_main = np.array([new.mains[i] == old.mains[j] != "" for i, j in zip(rows, cols, strict=True)], dtype=bool)
    agrees = _numbering_agrees(rows, cols, named if cross else text, same_number, n)
    position = np.array([_relative(i, n) - _relative(j, m) for i, j in zip(rows, cols, strict=True)])
    near = np.clip(1 - np.abs(position) / 0.2, 0, 1)
    if cross:
        # No words to compare: what both name, their number and their place carry the decision.
        score = 0.75 * named + 0.15 * near
        score += np.where(same_number, 0.3 if agrees else 0.05, np.where(same_main, 0.1 if agrees else 0, 0))
    else:
        score = text + 0.12 * named + 0.08 * near
        score += np.where(same_number, 0.25 if agrees else 0.04, np.where(same_main, 0.1 if agrees else 0, 0))
    pairs = []
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        common = new.stem_sets[i] & old.stem_sets[j]
        shared = [key for key in new.named[i] if key in old.named[j] and not key.startswith("@")]
        pairs.append(
            _Pair(
                i=i,
                j=j,
                score=float(min(score[k], 1.0)),
                text=float(text[k]),
                kept=len(common) / len(old.stem_sets[j]) if old.stem_sets[j] and not cross else 0.0,
                inside=len(common) / len(new.stem_sets[i]) if new.stem_sets[i] and not cross else 0.0,
                same_number=bool(same_number[k]),
                shared=shared,
            )
        )
    return pairs, agrees


def _numbering_agrees(rows: np.ndarray, cols: np.ndarray, evidence: np.ndarray, same: np.ndarray, n: int) -> bool:
    """Does the new text keep the numbers of the old one? Judged on each new point's best match."""
    best: dict[int, tuple[float, bool]] = {}
    for i, value, kept in zip(rows.tolist(), evidence.tolist(), same.tolist(), strict=True):
        if value > best.get(i, (0.25, False))[0]:
            best[i] = (value, kept)
    if len(best) < max(2, n // 4):
        return False
    return sum(kept for _, kept in best.values()) / len(best) >= NUMBERING_AGREES


def _heaviest_chain(pairs: list[_Pair], threshold: float) -> list[_Pair]:
    """The pairs, increasing in both texts, with the largest total (score − threshold)."""
    usable = sorted((p for p in pairs if p.score > threshold), key=lambda p: (p.i, -p.j))
    if not usable:
        return []
    size = max(p.j for p in usable) + 2
    tree_value = [0.0] * (size + 1)
    tree_index = [-1] * (size + 1)
    total = [0.0] * len(usable)
    previous = [-1] * len(usable)

    def query(position: int) -> tuple[float, int]:
        value, index = 0.0, -1
        while position > 0:
            if tree_value[position] > value:
                value, index = tree_value[position], tree_index[position]
            position -= position & -position
        return value, index

    def update(position: int, value: float, index: int) -> None:
        while position <= size:
            if value > tree_value[position]:
                tree_value[position], tree_index[position] = value, index
            position += position & -position

    for k, pair in enumerate(usable):
        before, index = query(pair.j)  # columns 1..j hold earlier points 0..j-1
        total[k], previous[k] = before + pair.score - threshold, index
        update(pair.j + 1, total[k], k)
    k = max(range(len(usable)), key=total.__getitem__)
    chain = []
    while k != -1:
        chain.append(usable[k])
        k = previous[k]
    return chain[::-1]


def _assign(pairs: list[_Pair], threshold: float) -> list[_Pair]:
    """One-to-one links among leftover points, maximizing the total score (per connected group)."""
    usable = [p for p in pairs if p.score >= threshold]
    if not usable:
        return []
    new_ids = {i: k for k, i in enumerate(sorted({p.i for p in usable}))}
    old_ids = {j: k for k, j in enumerate(sorted({p.j for p in usable}))}
    graph = csr_matrix(
        (np.ones(len(usable)), ([new_ids[p.i] for p in usable], [len(new_ids) + old_ids[p.j] for p in usable])),
        shape=(len(new_ids) + len(old_ids),) * 2,
    )
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[_Pair]] = defaultdict(list)
    for pair in usable:
        groups[labels[new_ids[pair.i]]].append(pair)
    chosen = []
    for group in groups.values():
        rows = sorted({p.i for p in group})
        cols = sorted({p.j for p in group})
        cost = np.zeros((len(rows), len(cols)))
        by_cell = {}
        for pair in group:
            r, c = rows.index(pair.i), cols.index(pair.j)
            cost[r, c] = -pair.score
            by_cell[(r, c)] = pair
        for r, c in zip(*linear_sum_assignment(cost), strict=True):
            if (r, c) in by_cell:
                chosen.append(by_cell[(r, c)])
    return chosen


def align(
    new_points: Sequence[Point],
    old_points: Sequence[Point],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Alignment:
    """Propose the links from `new_points` to `old_points` (both in their printed order)."""
    new, old = _side(new_points, progress), _side(old_points)
    if not new_points or not old_points:
        return Alignment(links=[], new_language=new.language, old_language=old.language)
    spaces = [
        _tfidf(new.stems, old.stems),
        _tfidf(new.grams, old.grams),
        _tfidf([list(c.elements()) for c in new.named], [list(c.elements()) for c in old.named]),
    ]
    candidates = _candidates(spaces, new, old)
    pairs, agrees = _score_pairs(new, old, candidates)
    chosen: dict[tuple[int, int], tuple[_Pair, str]] = {}
    for pair in _heaviest_chain(pairs, CHAIN_THRESHOLD):
        chosen[(pair.i, pair.j)] = (pair, REWORDED)
    linked_new = {i for i, _ in chosen}
    linked_old = {j for _, j in chosen}
    leftover = [p for p in pairs if p.i not in linked_new and p.j not in linked_old]
    for pair in _assign(leftover, MOVED_THRESHOLD):
        chosen[(pair.i, pair.j)] = (pair, MOVED)
    _add_parts(pairs, chosen, _renumbered_away(new, old) if agrees else (set(), set()))
    links = [
        Link(pair.i, pair.j, round(pair.score, 4), relation, "")
        for pair, relation in (_relation(chosen, key, new, old) for key in chosen)
    ]
    reasons = {(p.i, p.j): p for p, _ in chosen.values()}
    links = [
        replace(link, reason=_reason(reasons[(link.new, link.old)], link.relation, new, old))
        for link in sorted(links, key=lambda link: (link.new, link.old))
    ]
    return Alignment(
        links=links,
        new_language=new.language,
        old_language=old.language,
        numbering_agrees=agrees,
        candidates=len(pairs),
    )


def _renumbered_away(new: _Side, old: _Side) -> tuple[set[int], set[int]]:
    """In a text that keeps the numbers: new points whose number is new, earlier points whose number
    is gone. Those were added and deleted, unless their words say otherwise."""
    new_keys, old_keys = set(new.keys), set(old.keys)
    return (
        {i for i, key in enumerate(new.keys) if key not in old_keys},
        {j for j, key in enumerate(old.keys) if key not in new_keys},
    )


def _add_parts(
    pairs: list[_Pair], chosen: dict[tuple[int, int], tuple[_Pair, str]], added_deleted: tuple[set[int], set[int]]
) -> None:
    """Splits (a leftover new point from a linked earlier one) and merges (the reverse).

    Where the new text keeps the numbers, a point with a new number was added and an earlier
    number that is gone was deleted: a part then needs most of its words in the other point."""
    added, deleted = added_deleted
    new_of = defaultdict(set)
    old_of = defaultdict(set)
    for i, j in chosen:
        new_of[j].add(i)
        old_of[i].add(j)
    by_new: dict[int, list[_Pair]] = defaultdict(list)
    by_old: dict[int, list[_Pair]] = defaultdict(list)
    for pair in pairs:
        by_new[pair.i].append(pair)
        by_old[pair.j].append(pair)

    def part_of(pair: _Pair, share: float, neighbours: bool) -> float:
        if pair.i in added or pair.j in deleted:
            return pair.score + share if share >= STRONG_CONTAINMENT else 0.0
        if share >= CONTAINMENT and pair.score >= PART_THRESHOLD:
            return pair.score + share
        if neighbours and pair.score >= NEXT_PART_THRESHOLD:
            return pair.score
        return 0.0

    additions = []
    for i, options in by_new.items():
        if i in old_of:
            continue
        ranked = [(part_of(p, p.inside, bool({i - 1, i + 1} & new_of[p.j])), p) for p in options if p.j in new_of]
        ranked = [item for item in ranked if item[0] > 0]
        if ranked:
            additions.append((max(ranked, key=lambda item: item[0])[1], SPLIT))
    for j, options in by_old.items():
        if j in new_of:
            continue
        ranked = [(part_of(p, p.kept, bool({j - 1, j + 1} & old_of[p.i])), p) for p in options if p.i in old_of]
        ranked = [item for item in ranked if item[0] > 0]
        if ranked:
            additions.append((max(ranked, key=lambda item: item[0])[1], MERGED))
    for pair, relation in additions:
        chosen[(pair.i, pair.j)] = (pair, relation)


def _relation(chosen: dict, key: tuple[int, int], new: _Side, old: _Side) -> tuple[_Pair, str]:
    pair, relation = chosen[key]
    successors = sum(1 for _, j in chosen if j == pair.j)
    sources = sum(1 for i, _ in chosen if i == pair.i)
    if sources > 1:
        relation = MERGED
    elif successors > 1:
        relation = SPLIT
    elif relation == REWORDED and new.plain[pair.i] == old.plain[pair.j]:
        relation = CARRIED
    return pair, relation


def _named_list(keys: list[str]) -> str:
    shown = [key[1:] if key.startswith("#") else key.replace("_", " ") for key in keys[:3]]
    return ", ".join(shown)


def _reason(pair: _Pair, relation: str, new: _Side, old: _Side) -> str:
    """One line an editor can check: number, wording kept, what both name."""
    new_number, old_number = new.points[pair.i].number, old.points[pair.j].number
    cross = new.language != old.language and UNKNOWN not in (new.language, old.language)
    parts = []
    if relation == MOVED:
        parts.append(f"moved from {old_number} to {new_number}")
    elif pair.same_number:
        parts.append("same number")
    else:
        parts.append(f"renumbered {old_number} → {new_number}")
    if cross:
        parts.insert(
            0, f"other language ({LANGUAGE_NAMES[old.language]} → {LANGUAGE_NAMES[new.language]}), words not compared"
        )
        if abs(_relative(pair.i, len(new.points)) - _relative(pair.j, len(old.points))) < 0.05:
            parts.append("same place in the order")
    elif relation == CARRIED:
        parts.append("text unchanged")
    elif relation == SPLIT:
        parts.append(f"split: {pair.inside:.0%} of its words are in {old_number}")
    elif relation == MERGED:
        parts.append(f"merged: {pair.kept:.0%} of {old_number}'s words are in it")
    else:
        parts.append(f"{pair.kept:.0%} of words kept")
    if pair.shared and (cross or pair.kept < 0.5):
        parts.append(f"both name {_named_list(pair.shared)}")
    return "; ".join(parts)


def as_points(items: Sequence[Any]) -> list[Point]:
    """Points from anything with `number` and `text` (parsed points, provisions)."""
    return [
        Point(
            number=item.number,
            text=item.text,
            topics=tuple(getattr(item, "topics", ()) or ()),
            earlier_texts=tuple(getattr(item, "earlier_texts", ()) or ()),
        )
        for item in items
    ]
