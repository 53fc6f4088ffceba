"""Fill a database with a large synthetic negotiation record for benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench \
        .venv/bin/python bench/generate.py --scale 10 --reset

`--scale N`: N plans of 30 versions of ~28 points, 50 actors, positions on
every point (about 12 actors' stances each), lineage from each version to the
previous one, territories and their dispositions, events. Scale 10 is about
10k points and 100k positions. Each batch gets its history rows (many-to-many
sources included) and change-log rows through the app's own `record_bulk`, so
"as of" reads and the change feed see what production would; the per-object
`full_clean()` of the validating bulk path is skipped, since these rows are
valid by construction and validating 200k of them took most of the 8 minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402

from actors.choices import ActorKind, EventKind, Stance  # noqa: E402
from actors.models import Actor, Event, Position  # noqa: E402
from history.recording import record_bulk  # noqa: E402
from provisions.choices import Disposition, ProvisionStatus, Topic  # noqa: E402
from provisions.models import (  # noqa: E402
    Lineage,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
)
from provisions.numbering import point_sort_key  # noqa: E402

POSITION_SOURCE = Position.sources.through
VERSIONS_PER_PLAN = 30
ACTORS = 50
STANCES_PER_POINT = 12
BATCH = 2000
WORDS = [
    "ceasefire",
    "line",
    "guarantees",
    "sovereignty",
    "sanctions",
    "assets",
    "reconstruction",
    "elections",
    "amnesty",
    "territory",
    "army",
    "limits",
    "monitoring",
    "nuclear",
    "plant",
    "referendum",
    "corridor",
    "Crimea",
    "Donbas",
    "Kherson",
    "Zaporizhzhia",
    "Europe",
    "NATO",
    "United",
    "States",
    "Russia",
    "Ukraine",
    "parties",
    "shall",
    "agree",
    "within",
    "days",
    "after",
    "signature",
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def chunks(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk(model: type[models.Model], rows: list, links=None) -> list:
    """Insert `rows` and record their history and change-log rows in bulk.

    `links(created)` returns the rows' many-to-many link rows (a position's sources),
    inserted before history is recorded so the history rows carry them, as a save() would.
    """
    created = []
    plain = models.QuerySet(model=model)  # the validating bulk path, without per-object full_clean()
    for chunk in chunks(rows):
        batch = plain.bulk_create(chunk)
        for link_rows in links(batch) if links else ():
            type(link_rows[0]).objects.bulk_create(link_rows, batch_size=BATCH)
        record_bulk(model, batch, action="created")
        created += batch
    return created


@transaction.atomic
def generate(scale: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    sources = bulk(
        Source,
        [
            Source(publisher=f"Outlet {i}", title=f"Report {i} on the talks", url=f"https://example.org/report-{i}")
            for i in range(20)
        ],
    )
    actors = bulk(
        Actor,
        [
            Actor(
                name=f"Party {i}",
                slug=f"party-{i}",
                kind=ActorKind.STATE,
                short_code=f"P{i}",
                is_principal=i < 6,
                matrix_order=i,
            )
            for i in range(ACTORS)
        ],
    )
    territories = bulk(Territory, [Territory(name=f"Region {i}", slug=f"region-{i}") for i in range(30)])
    topics = list(Topic.values)
    start = datetime.date(2024, 1, 1)
    counts = {"plans": 0, "versions": 0, "provisions": 0, "positions": 0, "lineage": 0}
    for plan_number in range(scale):
        plan = bulk(Plan, [Plan(name=f"Plan {plan_number}", slug=f"plan-{plan_number}")])[0]
        versions = bulk(
            Version,
            [
                Version(plan=plan, label=f"Draft {k + 1}", dated=start + datetime.timedelta(days=10 * k))
                for k in range(VERSIONS_PER_PLAN)
            ],
        )
        previous: list[Provision] = []
        for version in versions:
            size = rng.randint(26, 30)
            points = bulk(
                Provision,
                [
                    Provision(
                        version=version,
                        number=str(n),
                        sort_key=point_sort_key(str(n)),
                        title=sentence(rng, 5),
                        text=" ".join(sentence(rng, 14) for _ in range(3)),
                        topics=rng.sample(topics, 2),
                        status=rng.choice(ProvisionStatus.values),
                    )
                    for n in range(1, size + 1)
                ],
            )
            bulk(
                Lineage,
                [
                    Lineage(
                        provision=point,
                        derives_from=earlier,
                        similarity=round(rng.uniform(0.5, 1), 3),
                        confirmed=rng.random() < 0.8,
                    )
                    for point, earlier in zip(points, previous, strict=False)
                ],
            )
            bulk(
                TerritorialDisposition,
                [
                    TerritorialDisposition(
                        provision=point, territory=rng.choice(territories), disposition=rng.choice(Disposition.values)
                    )
                    for point in points
                    if rng.random() < 0.2
                ],
            )
            positions = bulk(
                Position,
                [
                    Position(
                        actor=actor,
                        version=version,
                        provision=point,
                        stance=rng.choice(Stance.values),
                        summary=sentence(rng, 10),
                        taken_on=version.dated,
                    )
                    for point in points
                    for actor in rng.sample(actors, STANCES_PER_POINT)
                ],
                links=lambda batch: [[POSITION_SOURCE(position=p, source=rng.choice(sources)) for p in batch]],
            )
            counts["provisions"] += len(points)
            counts["positions"] += len(positions)
            counts["lineage"] += min(len(points), len(previous))
            previous = points
        counts["plans"] += 1
        counts["versions"] += len(versions)
    events = bulk(
        Event,
        [
            Event(title=sentence(rng, 4), occurred_on=start + datetime.timedelta(days=i), kind=EventKind.MEETING)
            for i in range(20 * scale)
        ],
        links=lambda batch: [
            [Event.actors.through(event=e, actor=rng.choice(actors)) for e in batch],
            [Event.sources.through(event=e, source=rng.choice(sources)) for e in batch],
        ],
    )
    counts["events"] = len(events)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="number of plans (30 versions of ~28 points each)")
    parser.add_argument("--seed", type=int, default=20251120)
    parser.add_argument("--reset", action="store_true", help="empty the database first (flush)")
    args = parser.parse_args()
    if not 1 <= args.scale <= 100:
        print("--scale must be from 1 to 100.", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    if args.reset:
        call_command("flush", interactive=False, verbosity=0)
    elif Provision.objects.exists():
        print("The database already holds points: pass --reset to empty it first.", file=sys.stderr)
        return 2
    began = time.monotonic()
    counts = generate(args.scale, args.seed)
    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum would give a live database after a while.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary = ", ".join(f"{value} {name}" for name, value in counts.items())
    print(f"Generated {summary} in {time.monotonic() - began:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
