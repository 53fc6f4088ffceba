"""How well the importer finds lineage: precision, recall and F1 on texts with hand-made gold links.

    .venv/bin/python bench/lineage_eval.py

The pairs are in `tests/exchange/fixtures/eval/gold.json`: real texts from the public record
(each fixture's header names its sources) against the 28-point draft, our Ukrainian and
Russian translations, and perturbations of the 28-point draft made here with a fixed seed
(renumbering, splitting, merging, reordering, paraphrase, all at once). The suite runs the
same evaluation and asserts floors a little below these figures (tests/exchange/test_lineage_eval.py).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "exchange" / "fixtures" / "eval"
DRAFT = EVAL.parent / "draft_28_points.txt"
SEED = 10


@dataclass
class Result:
    name: str
    kind: str  # "real" or "synthetic"
    gold: set[tuple[str, str]]
    found: set[tuple[str, str]]

    @property
    def true_positives(self) -> int:
        return len(self.gold & self.found)

    @property
    def precision(self) -> float:
        return self.true_positives / len(self.found) if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / len(self.gold) if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class _Earlier:
    """An earlier point as the importer sees it, without a database."""

    def __init__(self, pk: int, number: str, text: str) -> None:
        self.pk, self.number, self.text = pk, number, text


def _links(new_text: str, old_text: str) -> set[tuple[str, str]]:
    from provisions.importing import parse_draft, propose_lineage

    old = [_Earlier(pk, p.number, p.text) for pk, p in enumerate(parse_draft(old_text).points, 1)]
    proposal = propose_lineage(parse_draft(new_text).points, old)
    return {(link.new_number, link.old_number) for link in proposal.links}


def _gold(mapping: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(new, old) for new, olds in mapping.items() for old in olds}


# --- Synthetic perturbations of the 28-point draft ------------------------------

_SYNONYMS = {
    "will": "shall", "agreement": "accord", "ensure": "guarantee", "receive": "obtain", "limited": "capped",
    "confirmed": "reaffirmed", "concluded": "signed", "expected": "assumed", "dialogue": "talks",
    "resolve": "settle", "issues": "questions", "conditions": "terms", "size": "strength", "stationed": "deployed",
    "agrees": "accepts", "future": "coming", "established": "set up", "considered": "deemed", "global": "worldwide",
    "returned": "brought back", "reconstruction": "rebuilding", "invest": "put money", "development": "growth",
    "immediately": "at once", "supervision": "oversight", "legally": "juridically", "parties": "sides",
    "prisoners": "captives", "elections": "a vote", "guarantees": "assurances", "lifted": "removed",
    "comprehensive": "full", "security": "safety", "territory": "land", "Russia": "the Russian Federation",
}  # fmt: skip


def _points(text: str) -> list[tuple[str, str]]:
    from provisions.importing import parse_draft

    return [(p.number, p.text.replace("\n", " ")) for p in parse_draft(text).points]


def _render(points: list[str]) -> str:
    return "\n\n".join(f"{n}. {text}" for n, text in enumerate(points, 1))


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+", text) if s]


def _paraphrase(text: str, rng: random.Random, share: float = 0.6) -> str:
    words = text.split()
    out = []
    for word in words:
        bare = word.strip(".,;:")
        if bare in _SYNONYMS and rng.random() < share:
            word = word.replace(bare, _SYNONYMS[bare])
        out.append(word)
    return " ".join(out)


def synthetic_pairs() -> list[tuple[str, str, str, dict[str, list[str]]]]:
    """(name, old text, new text, gold) for each perturbation of the 28-point draft."""
    rng = random.Random(SEED)
    old_text = DRAFT.read_text(encoding="utf-8")
    old = _points(old_text)
    pairs = []

    # Renumbering: three points dropped, the rest numbered on.
    dropped = set(rng.sample(range(len(old)), 3))
    kept = [(number, text) for k, (number, text) in enumerate(old) if k not in dropped]
    pairs.append(
        ("renumbered (3 dropped)", _render([t for _, t in kept]), {str(n): [o] for n, (o, _) in enumerate(kept, 1)})
    )

    # Splitting: three points of two sentences or more cut in two.
    splittable = [k for k, (_, text) in enumerate(old) if len(_sentences(text)) >= 2]
    cut = set(rng.sample(splittable, 3))
    texts, gold = [], {}
    for k, (number, text) in enumerate(old):
        parts = _sentences(text)
        pieces = [" ".join(parts[: len(parts) // 2]), " ".join(parts[len(parts) // 2 :])] if k in cut else [text]
        for piece in pieces:
            texts.append(piece)
            gold[str(len(texts))] = [number]
    pairs.append(("split (3 points in two)", _render(texts), gold))

    # Merging: three pairs of neighbours made one point.
    starts = sorted(rng.sample(range(0, len(old) - 1, 3), 3))
    texts, gold, k = [], {}, 0
    while k < len(old):
        if k in starts:
            texts.append(old[k][1] + " " + old[k + 1][1])
            gold[str(len(texts))] = [old[k][0], old[k + 1][0]]
            k += 2
        else:
            texts.append(old[k][1])
            gold[str(len(texts))] = [old[k][0]]
            k += 1
    pairs.append(("merged (3 pairs)", _render(texts), gold))

    # Reordering: four points moved elsewhere.
    order = list(range(len(old)))
    for _ in range(4):
        moved = order.pop(rng.randrange(len(order)))
        order.insert(rng.randrange(len(order) + 1), moved)
    pairs.append(
        (
            "reordered (4 moved)",
            _render([old[k][1] for k in order]),
            {str(n): [old[k][0]] for n, k in enumerate(order, 1)},
        )
    )

    # Paraphrase: synonyms for most words that have one, same numbers.
    pairs.append(("paraphrased", _render([_paraphrase(t, rng) for _, t in old]), {o: [o] for o, _ in old}))

    # All at once: paraphrased, two dropped, one split, one pair merged, two moved.
    items = [(number, _paraphrase(text, rng, 0.4)) for number, text in old]
    for k in sorted(rng.sample(range(len(items)), 2), reverse=True):
        items.pop(k)
    entries: list[tuple[list[str], str]] = [([number], text) for number, text in items]
    k = next(k for k, (_, text) in enumerate(entries) if len(_sentences(text)) >= 2)
    parts = _sentences(entries[k][1])
    entries[k : k + 1] = [(entries[k][0], parts[0]), (entries[k][0], " ".join(parts[1:]))]
    k = rng.randrange(len(entries) - 1)
    entries[k : k + 2] = [(entries[k][0] + entries[k + 1][0], entries[k][1] + " " + entries[k + 1][1])]
    for _ in range(2):
        moved = entries.pop(rng.randrange(len(entries)))
        entries.insert(rng.randrange(len(entries) + 1), moved)
    pairs.append(
        (
            "all at once",
            _render([text for _, text in entries]),
            {str(n): olds for n, (olds, _) in enumerate(entries, 1)},
        )
    )
    return [(f"28-point -> {name}", old_text, new_text, gold) for name, new_text, gold in pairs]


def evaluate() -> list[Result]:
    """Every pair of the evaluation set, real and synthetic, with what the importer found."""
    results = []
    spec = json.loads((EVAL / "gold.json").read_text(encoding="utf-8"))
    for pair in spec["pairs"]:
        old_text = (EVAL / pair["old"]).read_text(encoding="utf-8")
        new_text = (EVAL / pair["new"]).read_text(encoding="utf-8")
        results.append(Result(pair["name"], pair["kind"], _gold(pair["links"]), _links(new_text, old_text)))
    for name, old_text, new_text, gold in synthetic_pairs():
        results.append(Result(name, "synthetic", _gold(gold), _links(new_text, old_text)))
    return results


def overall(results: list[Result], kind: str | None = None) -> Result:
    """The pairs pooled (micro-average): every link counts once."""
    chosen = [r for r in results if kind is None or r.kind == kind]
    gold = {(r.name, *link) for r in chosen for link in r.gold}
    found = {(r.name, *link) for r in chosen for link in r.found}
    return Result(f"overall ({kind or 'all'})", kind or "all", gold, found)


def table(results: list[Result]) -> str:
    rows = [*results, overall(results, "real"), overall(results, "synthetic"), overall(results)]
    lines = [
        "| pair | kind | gold links | found | precision | recall | F1 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        scores = f"{r.precision:.2f} | {r.recall:.2f} | {r.f1:.2f}"
        lines.append(f"| {r.name} | {r.kind} | {len(r.gold)} | {len(r.found)} | {scores} |")
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    results = evaluate()
    print(table(results))
    if "-v" in sys.argv:
        for r in results:
            missed, wrong = sorted(r.gold - r.found), sorted(r.found - r.gold)
            if missed or wrong:
                print(f"\n{r.name}\n  missed: {missed}\n  wrong:  {wrong}")


if __name__ == "__main__":
    main()
