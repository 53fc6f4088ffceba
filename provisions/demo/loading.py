"""Loads the demo dataset: the 28-point draft, its territories, actors, positions,
events and competing accounts, each with its source.

Create-only and keyed on natural keys: a second run creates nothing, and an
editor's later edits to demo records are never overwritten.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction

from actors.models import Account, Actor, Claim, Event, Position
from history.writing import save_recorded

from ..models import (
    ControlObservation,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
)

DATASET = Path(__file__).with_name("dataset.json")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _reported_at(day: date | None) -> datetime | None:
    """History rows of demo facts are dated the day they were reported (noon UTC),
    so the "as of" views show the record as it would have stood then."""
    return datetime.combine(day, time(12), tzinfo=UTC) if day else None


class DemoLoader:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()
        self.sources: dict[str, Source] = {}
        self.actors: dict[str, Actor] = {}
        self.territories: dict[str, Territory] = {}
        self.plans: dict[str, Plan] = {}
        self.versions: dict[str, Version] = {}
        self.points: dict[tuple[str, str], Provision] = {}
        self.events: dict[str, Event] = {}
        # Records with no date of their own (actors, territories, plans) are
        # dated from the earliest fact in the dataset, so past views have them.
        self.baseline = min(date.fromisoformat(v) for v in _iter_dates(data))

    def _ensure(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        *,
        m2m: dict[str, list] | None = None,
        day: date | None = None,
    ) -> models.Model:
        day = day or self.baseline
        existing = model.objects.filter(**lookup).first()
        label = model._meta.verbose_name_plural
        if existing is not None:
            self.present[label] += 1
            return existing
        self.created[label] += 1
        return save_recorded(model(**lookup, **values), m2m=m2m, recorded_at=_reported_at(day))

    def run(self) -> None:
        d = self.data
        for row in d["sources"]:
            day = _day(row.get("published_on"))
            self.sources[row["key"]] = self._ensure(
                Source,
                {"publisher": row["publisher"], "title": row["title"]},
                {"url": row.get("url", ""), "published_on": day, "kind": row["kind"], "notes": row.get("notes", "")},
                day=day,
            )
        for order, row in enumerate(d["actors"]):
            self.actors[row["slug"]] = self._ensure(
                Actor,
                {"slug": row["slug"]},
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "short_code": row.get("short_code") or "",
                    "role": row.get("role") or "",
                    "represents": self.actors.get(row.get("represents") or ""),
                    "is_principal": bool(row.get("principal")),
                    "matrix_order": order,
                    "description": row.get("description", ""),
                },
            )
        for row in d["territories"]:
            self.territories[row["slug"]] = self._ensure(
                Territory,
                {"slug": row["slug"]},
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "parent": self.territories.get(row.get("parent") or ""),
                    "description": row.get("description", ""),
                },
            )
        for row in d["control_observations"]:
            day = _day(row["observed_on"])
            self._ensure(
                ControlObservation,
                {
                    "territory": self.territories[row["territory"]],
                    "observed_on": day,
                    "source": self.sources[row["source"]],
                },
                {
                    "ukraine_share": _share(row.get("ukraine_share")),
                    "russia_share": _share(row.get("russia_share")),
                    "note": row.get("note", ""),
                },
                day=day,
            )
        for row in d["plans"]:
            self.plans[row["slug"]] = self._ensure(
                Plan,
                {"slug": row["slug"]},
                {
                    "name": row["name"],
                    "description": row.get("description", ""),
                    "proposed_by": self.actors.get(row.get("proposed_by") or ""),
                    "answers": self.plans.get(row.get("answers") or ""),
                },
            )
        for row in d["versions"]:
            day = _day(row["dated"])
            self.versions[row["key"]] = self._ensure(
                Version,
                {"plan": self.plans[row["plan"]], "label": row["label"]},
                {
                    "dated": day,
                    "proposed_by": self.actors.get(row.get("proposed_by") or ""),
                    "status": row["status"],
                    "text_basis": row["text_basis"],
                    "summary": row.get("summary", ""),
                    "revises": self.versions.get(row.get("revises") or ""),
                },
                m2m={"sources": [self.sources[key] for key in row.get("sources", [])]},
                day=day,
            )
        for row in d["provisions"]:
            version = self.versions[row["version"]]
            point = self._ensure(
                Provision,
                {"version": version, "number": row["number"]},
                {"title": row["title"], "text": row["text"], "topics": row["topics"], "status": row["status"]},
                day=version.dated,
            )
            self.points[(row["version"], row["number"])] = point
            for item in row.get("territories", []):
                self._ensure(
                    TerritorialDisposition,
                    {
                        "provision": point,
                        "territory": self.territories[item["territory"]],
                        "disposition": item["disposition"],
                    },
                    {"note": item.get("note", "")},
                    day=version.dated,
                )
        for row in d["positions"]:
            day = _day(row["taken_on"])
            self._ensure(
                Position,
                {
                    "actor": self.actors[row["actor"]],
                    "version": self.versions[row["version"]],
                    "provision": self.points[(row["version"], row["provision"])] if row.get("provision") else None,
                    "taken_on": day,
                    "attributed_to": row.get("attributed_to", ""),
                    "stance": row["stance"],
                },
                {"summary": row["summary"]},
                m2m={"sources": [self.sources[key] for key in row["sources"]]},
                day=day,
            )
        for row in d["events"]:
            day = _day(row["occurred_on"])
            self.events[row["key"]] = self._ensure(
                Event,
                {"title": row["title"], "occurred_on": day},
                {
                    "kind": row["kind"],
                    "location": row.get("location", ""),
                    "description": row.get("description", ""),
                    "date_is_approximate": bool(row.get("date_is_approximate")),
                    "version": self.versions.get(row.get("version") or ""),
                },
                m2m={
                    "actors": [self.actors[slug] for slug in row.get("actors", [])],
                    "sources": [self.sources[key] for key in row.get("sources", [])],
                },
                day=day,
            )
        for row in d["claims"]:
            version_key = row.get("version")
            accounts = row["accounts"]
            first_day = min(_day(a["reported_on"]) for a in accounts) if accounts else None
            claim = self._ensure(
                Claim,
                {"question": row["question"]},
                {
                    "version": self.versions.get(version_key or ""),
                    "provision": self.points.get((version_key, row["provision"])) if row.get("provision") else None,
                    "event": self.events.get(row.get("event") or ""),
                },
                day=first_day,
            )
            for account in accounts:
                day = _day(account["reported_on"])
                self._ensure(
                    Account,
                    {"claim": claim, "claimant": account["claimant"]},
                    {
                        "says": account["says"],
                        "actor": self.actors.get(account.get("actor") or ""),
                        "source": self.sources[account["source"]],
                        "reported_on": day,
                    },
                    day=day,
                )


def _iter_dates(value: Any):
    """Every ISO date string anywhere in the dataset."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"published_on", "observed_on", "dated", "taken_on", "occurred_on", "reported_on"} and item:
                yield item
            else:
                yield from _iter_dates(item)
    elif isinstance(value, list):
        for item in value:
            yield from _iter_dates(item)


def _share(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def load_demo(path: Path = DATASET) -> DemoLoader:
    """Load the dataset in one transaction: a bad row leaves nothing half-loaded."""
    loader = DemoLoader(json.loads(Path(path).read_text(encoding="utf-8")))
    loader.run()
    return loader
