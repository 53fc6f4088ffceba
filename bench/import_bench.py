"""How long the importer takes to split a draft and propose lineage, by draft size.

    .venv/bin/python bench/import_bench.py      # 100, 300, 1,000 and 3,000 points against as many earlier ones

Pure computation (no database): `parse_draft` then `propose_lineage`. The earlier text
has distinct points (words drawn from a large made-up vocabulary, as real points differ);
the new one rewords a quarter of each point's words, drops and adds points and moves a
few, so the alignment does its whole work. Only a bounded number of candidates per point
are scored, so the lineage time should grow about as n log n: the last column divides the
time by n log2 n (it should stay about flat). Prints the median of a few runs per size.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from provisions.importing import parse_draft, propose_lineage  # noqa: E402
from provisions.numbering import point_sort_key  # noqa: E402


class Earlier:
    def __init__(self, pk: int, number: str, text: str) -> None:
        self.pk, self.number, self.text, self.sort_key = pk, number, text, point_sort_key(number)


def _vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "tur", "vos", "el", "an", "dri", "pol", "sek", "ur", "ni", "gra", "zet", "ob"]
    return list({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)})


def distinct_drafts(size: int, seed: int = 7) -> tuple[str, str]:
    """An earlier text of `size` distinct points and a revision of it (reworded, some dropped, added, moved)."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    weights = [1 / (rank + 10) for rank in range(len(vocabulary))]  # a Zipf-like spread of words
    old = [rng.choices(vocabulary, weights, k=rng.randint(20, 40)) for _ in range(size)]
    new = []
    for words in old:
        if rng.random() < 0.05:
            continue  # dropped
        words = [rng.choice(vocabulary) if rng.random() < 0.25 else word for word in words]
        new.append(words)
        if rng.random() < 0.05:
            new.append(rng.choices(vocabulary, weights, k=30))  # added
    for _ in range(max(1, size // 50)):
        new.insert(rng.randrange(len(new)), new.pop(rng.randrange(len(new))))
    render = lambda points: "\n\n".join(f"{n}. {' '.join(words)}." for n, words in enumerate(points, 1))  # noqa: E731
    return render(old), render(new)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,300,1000,3000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'points':>7} {'earlier':>8} {'parse ms':>9} {'lineage ms':>11} {'links':>6} {'µs/(n log n)':>13}")
    for size in map(int, args.sizes.split(",")):
        old_text, new_text = distinct_drafts(size)
        old = [Earlier(i, p.number, p.text) for i, p in enumerate(parse_draft(old_text).points, 1)]
        parse_times, lineage_times, links = [], [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            draft = parse_draft(new_text)
            parsed = time.perf_counter()
            links = len(propose_lineage(draft.points, old).links)
            done = time.perf_counter()
            parse_times.append((parsed - started) * 1000)
            lineage_times.append((done - parsed) * 1000)
        lineage = statistics.median(lineage_times)
        print(
            f"{size:>7} {len(old):>8} {statistics.median(parse_times):>9.1f} "
            f"{lineage:>11.1f} {links:>6} {lineage * 1000 / (size * math.log2(size)):>13.1f}"
        )


if __name__ == "__main__":
    main()
