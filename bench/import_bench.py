"""How long the importer takes to split a draft and propose lineage, by draft size.

    .venv/bin/python bench/import_bench.py            # 28, 100 and 300 points against as many earlier ones

Pure computation (no database): `parse_draft` then `propose_lineage`, whose cost
grows with (new points × earlier points) similarity comparisons. Prints the
median of a few runs per size.
"""

from __future__ import annotations

import argparse
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

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "exchange" / "fixtures" / "draft_28_points.txt"


class Earlier:
    def __init__(self, pk: int, number: str, text: str) -> None:
        self.pk, self.number, self.text, self.sort_key = pk, number, text, point_sort_key(number)


def synthetic_draft(size: int, seed: int) -> str:
    """`size` points made of the 28-point draft's sentences, shuffled and reworded a little."""
    rng = random.Random(seed)
    sentences = [p.text for p in parse_draft(FIXTURE.read_text()).points]
    lines = []
    for number in range(1, size + 1):
        words = rng.choice(sentences).split()
        for _ in range(3):
            words[rng.randrange(len(words))] = rng.choice(["new", "revised", "agreed", "staged", "joint"])
        lines.append(f"{number}. {' '.join(words)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="28,100,300")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'points':>7} {'earlier':>8} {'parse ms':>9} {'lineage ms':>11} {'links':>6}")
    for size in map(int, args.sizes.split(",")):
        old_text, new_text = synthetic_draft(size, 1), synthetic_draft(size, 2)
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
        print(
            f"{size:>7} {len(old):>8} {statistics.median(parse_times):>9.1f} "
            f"{statistics.median(lineage_times):>11.1f} {links:>6}"
        )


if __name__ == "__main__":
    main()
