"""Loads the demo record: every version of the negotiation from the 28-point draft on,
their points, lineage between them, territories with control figures, actors, stances,
events and competing accounts, each with its source.

The record is a folder of JSON files (`record/*.json`, read in name order and merged):
each file holds any of the lists `sources`, `actors`, `territories`,
`control_observations`, `plans`, `versions`, `provisions`, `positions`, `events`,
`claims`. Dates are ISO days, or "YYYY-MM" for a date known only to the month.

Create-only. Each row has a natural key (a point: its version and number; a
position: actor, subject, date and stance…), but editors may change those very
fields, so a record is found by the key it was *created* with, read from its
history's creation row, which no edit changes. A second run creates nothing, an
edited demo record is neither duplicated nor overwritten, and a demo record an
editor deleted is not brought back (nor is anything that depends on it).
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
from history.dating import DatePrecision
from history.records import created_with
from history.writing import save_recorded

from ..models import (
    ControlObservation,
    Lineage,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
)

RECORD = Path(__file__).with_name("record")
LISTS = (
    "sources",
    "actors",
    "territories",
    "control_observations",
    "plans",
    "versions",
    "provisions",
    "positions",
    "events",
    "claims",
)


class DatasetError(ValueError):
    """The dataset files disagree with each other (a key twice, a reference to nothing)."""


def _day(value: str | None) -> date | None:
    """An ISO day, or the 1st of the month for "YYYY-MM"."""
    if not value:
        return None
    return date.fromisoformat(f"{value}-01" if len(value) == 7 else value)


def _precision(row: dict[str, Any], date_field: str, precision_field: str) -> str:
    """A date's precision as the row gives it; "YYYY-MM" alone means month."""
    value = row.get(date_field) or ""
    return row.get(precision_field) or (DatePrecision.MONTH if len(value) == 7 else DatePrecision.DAY)


def _reported_at(day: date | None) -> datetime | None:
    """History rows of demo facts are dated the day they were reported (noon UTC),
    so the "as of" views show the record as it would have stood then."""
    return datetime.combine(day, time(12), tzinfo=UTC) if day else None


class DemoLoader:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()
        self.deleted: Counter[str] = Counter()  # demo records an editor deleted, left deleted
        # By dataset key; None where an editor deleted the demo record.
        self.sources: dict[str, Source | None] = {}
        self.actors: dict[str, Actor | None] = {}
        self.territories: dict[str, Territory | None] = {}
        self.plans: dict[str, Plan | None] = {}
        self.versions: dict[str, Version | None] = {}
        self.points: dict[tuple[str, str], Provision | None] = {}
        self.events: dict[str, Event | None] = {}
        # Records with no date of their own (actors, territories, plans) are
        # dated from the earliest fact in the dataset, so past views have them.
        self.baseline = min(_iter_dates(data))

    def _ensure(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        *,
        m2m: dict[str, list] | None = None,
        day: date | None = None,
        formerly: dict[str, Any] | None = None,
    ) -> Any:
        """The demo record with this natural key: found, created, or None if an editor deleted it.

        `formerly` gives the earlier values of key fields the dataset has since
        renamed, so a database loaded before the rename finds its record.
        """
        label = model._meta.verbose_name_plural
        keys = [lookup, {**lookup, **formerly}] if formerly else [lookup]
        for key in keys:
            if ids := created_with(model, **key):
                existing = model.objects.filter(pk__in=ids).order_by("pk").first()
                if existing is None:
                    self.deleted[label] += 1
                else:
                    self.present[label] += 1
                return existing
        # A record with no creation row (history not kept when it was made).
        existing = model.objects.filter(**lookup).first()
        if existing is not None:
            self.present[label] += 1
            return existing
        self.created[label] += 1
        m2m = {name: [item for item in items if item is not None] for name, items in (m2m or {}).items()}
        return save_recorded(model(**lookup, **values), m2m=m2m, recorded_at=_reported_at(day or self.baseline))

    def run(self) -> None:
        # A row whose parent an editor deleted is skipped (`continue`), so nothing
        # deleted comes back as an orphan or re-attached elsewhere.
        d = self.data
        for row in d["sources"]:
            day = _day(row.get("published_on"))
            self.sources[row["key"]] = self._ensure(
                Source,
                {"publisher": row["publisher"], "title": row["title"]},
                {
                    "url": row.get("url", ""),
                    "url_missing_reason": row.get("url_missing_reason", ""),
                    "published_on": day,
                    "published_on_precision": _precision(row, "published_on", "published_on_precision"),
                    "kind": row["kind"],
                    "is_state_media": bool(row.get("state_media")),
                    "notes": row.get("notes", ""),
                },
                day=day,
                formerly=row.get("formerly"),
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
            territory, source = self.territories[row["territory"]], self.sources[row["source"]]
            if territory is None or source is None:
                continue
            day = _day(row["observed_on"])
            self._ensure(
                ControlObservation,
                {"territory": territory, "observed_on": day, "source": source},
                {
                    "observed_on_precision": _precision(row, "observed_on", "observed_on_precision"),
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
            plan = self.plans[row["plan"]]
            if plan is None:
                self.versions[row["key"]] = None
                continue
            day = _day(row["dated"])
            self.versions[row["key"]] = self._ensure(
                Version,
                {"plan": plan, "label": row["label"]},
                {
                    "dated": day,
                    "dated_precision": _precision(row, "dated", "dated_precision"),
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
            point = None
            if version is not None:
                point = self._ensure(
                    Provision,
                    {"version": version, "number": row["number"]},
                    {
                        "title": row["title"],
                        "text": row.get("text", ""),
                        "text_basis": row.get("text_basis", ""),
                        "note": row.get("note", ""),
                        "topics": row["topics"],
                        "status": row["status"],
                    },
                    m2m={"sources": [self.sources[key] for key in row.get("sources", [])]},
                    day=version.dated,
                )
            self.points[(row["version"], row["number"])] = point
            if point is None:
                continue
            for item in row.get("territories", []):
                territory = self.territories[item["territory"]]
                if territory is None:
                    continue
                self._ensure(
                    TerritorialDisposition,
                    {"provision": point, "territory": territory, "disposition": item["disposition"]},
                    {"note": item.get("note", "")},
                    day=version.dated,
                )
            for link in row.get("derives_from", []):
                earlier = self.points[(link["version"], link["number"])]
                if earlier is None:
                    continue
                # Links of the demo are editorial, hence confirmed (not importer proposals).
                self._ensure(
                    Lineage,
                    {"provision": point, "derives_from": earlier},
                    {"relation": link["relation"], "confirmed": True, "note": link.get("note", "")},
                    day=version.dated,
                )
        for row in d["positions"]:
            actor, version = self.actors[row["actor"]], self.versions[row["version"]]
            point = self.points[(row["version"], row["provision"])] if row.get("provision") else None
            if actor is None or version is None or (row.get("provision") and point is None):
                continue
            day = _day(row["taken_on"])
            self._ensure(
                Position,
                {"actor": actor, "version": version, "provision": point, "taken_on": day, "stance": row["stance"]},
                {
                    "summary": row["summary"],
                    "taken_on_precision": _precision(row, "taken_on", "taken_on_precision"),
                    "attribution": row.get("attribution") or Position._meta.get_field("attribution").get_default(),
                    "attributed_to": row.get("attributed_to") or row.get("attributed_by") or "",
                },
                m2m={"sources": [self.sources[key] for key in row["sources"]]},
                day=day,
            )
        for row in d["events"]:
            version_key = row.get("version")
            if version_key and self.versions[version_key] is None:
                self.events[row["key"]] = None
                continue
            day = _day(row["occurred_on"])
            self.events[row["key"]] = self._ensure(
                Event,
                {"title": row["title"], "occurred_on": day},
                {
                    "kind": row["kind"],
                    "location": row.get("location", ""),
                    "description": row.get("description", ""),
                    "date_precision": _precision(row, "occurred_on", "date_precision"),
                    "version": self.versions.get(version_key or ""),
                },
                m2m={
                    "actors": [self.actors[slug] for slug in row.get("actors", [])],
                    "sources": [self.sources[key] for key in row.get("sources", [])],
                },
                day=day,
            )
        for row in d["claims"]:
            version_key = row.get("version")
            version = self.versions.get(version_key or "")
            point = self.points.get((version_key, row["provision"])) if row.get("provision") else None
            event = self.events.get(row.get("event") or "")
            if (
                (version_key and version is None)
                or (row.get("provision") and point is None)
                or (row.get("event") and event is None)
            ):
                continue
            accounts = row["accounts"]
            first_day = min(_day(a["reported_on"]) for a in accounts) if accounts else None
            claim = self._ensure(
                Claim,
                {"question": row["question"]},
                {"version": version, "provision": point, "event": event},
                day=first_day,
            )
            if claim is None:
                continue
            for account in accounts:
                source = self.sources[account["source"]]
                if source is None:
                    continue
                day = _day(account["reported_on"])
                self._ensure(
                    Account,
                    {"claim": claim, "claimant": account["claimant"]},
                    {
                        "says": account["says"],
                        "actor": self.actors.get(account.get("actor") or ""),
                        "source": source,
                        "reported_on": day,
                    },
                    day=day,
                    formerly=account.get("formerly"),
                )


def _iter_dates(value: Any):
    """Every ISO date string anywhere in the dataset."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"published_on", "observed_on", "dated", "taken_on", "occurred_on", "reported_on"} and item:
                yield _day(item)
            else:
                yield from _iter_dates(item)
    elif isinstance(value, list):
        for item in value:
            yield from _iter_dates(item)


def _share(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def read_record(folder: Path = RECORD) -> dict[str, list[dict[str, Any]]]:
    """The record's files merged into one dataset, versions and points in date order.

    Raises DatasetError for a key defined twice, so two files never silently disagree."""
    data: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    paths = sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else [Path(folder)]
    for path in paths:
        content = json.loads(path.read_text(encoding="utf-8"))
        if unknown := set(content) - set(LISTS):
            raise DatasetError(f"{path.name}: unknown list(s) {', '.join(sorted(unknown))}")
        for name in LISTS:
            data[name].extend(content.get(name, []))
    for name, key in (
        ("sources", "key"),
        ("actors", "slug"),
        ("territories", "slug"),
        ("plans", "slug"),
        ("versions", "key"),
        ("events", "key"),
        ("claims", "key"),
    ):
        seen = Counter(row[key] for row in data[name])
        if twice := sorted(k for k, n in seen.items() if n > 1):
            raise DatasetError(f"{name}: defined more than once: {', '.join(twice)}")
    points = Counter((row["version"], row["number"]) for row in data["provisions"])
    if twice := sorted(k for k, n in points.items() if n > 1):
        raise DatasetError(f"provisions: defined more than once: {twice}")
    _check_references(data)
    # What a row refers to must be loaded before it: versions by date, points by their version's date.
    dated = {row["key"]: _day(row["dated"]) for row in data["versions"]}
    data["versions"].sort(key=lambda row: dated[row["key"]])
    order = {key: index for index, key in enumerate(row["key"] for row in data["versions"])}
    data["provisions"].sort(key=lambda row: order[row["version"]])
    return data


def _check_references(data: dict[str, list[dict[str, Any]]]) -> None:
    """Every key a row names exists somewhere in the record (DatasetError naming the first that doesn't)."""
    keys = {
        "source": {row["key"] for row in data["sources"]},
        "actor": {row["slug"] for row in data["actors"]},
        "territory": {row["slug"] for row in data["territories"]},
        "plan": {row["slug"] for row in data["plans"]},
        "version": {row["key"] for row in data["versions"]},
        "event": {row["key"] for row in data["events"]},
        "point": {(row["version"], row["number"]) for row in data["provisions"]},
    }
    missing: list[str] = []

    def need(kind: str, value: Any, where: str) -> None:
        if value not in (None, "") and value not in keys[kind]:
            missing.append(f"{where} names unknown {kind} {value!r}")

    for row in data["actors"]:
        need("actor", row.get("represents"), f"actor {row['slug']}")
    for row in data["territories"]:
        need("territory", row.get("parent"), f"territory {row['slug']}")
    for row in data["control_observations"]:
        where = f"control figure {row['territory']} {row['observed_on']}"
        need("territory", row["territory"], where)
        need("source", row["source"], where)
    for row in data["plans"]:
        need("actor", row.get("proposed_by"), f"plan {row['slug']}")
        need("plan", row.get("answers"), f"plan {row['slug']}")
    for row in data["versions"]:
        where = f"version {row['key']}"
        need("plan", row["plan"], where)
        need("actor", row.get("proposed_by"), where)
        need("version", row.get("revises"), where)
        for key in row.get("sources", []):
            need("source", key, where)
    for row in data["provisions"]:
        where = f"point {row['version']} #{row['number']}"
        need("version", row["version"], where)
        for key in row.get("sources", []):
            need("source", key, where)
        for item in row.get("territories", []):
            need("territory", item["territory"], where)
        for link in row.get("derives_from", []):
            need("point", (link["version"], link["number"]), where)
    for row in data["positions"]:
        where = f"stance of {row['actor']} on {row['version']} #{row.get('provision') or '(whole)'}"
        need("actor", row["actor"], where)
        need("version", row["version"], where)
        if row.get("provision"):
            need("point", (row["version"], row["provision"]), where)
        for key in row.get("sources", []):
            need("source", key, where)
    for row in data["events"]:
        where = f"event {row['key']}"
        need("version", row.get("version"), where)
        for slug in row.get("actors", []):
            need("actor", slug, where)
        for key in row.get("sources", []):
            need("source", key, where)
    for row in data["claims"]:
        where = f"claim {row['key']}"
        need("version", row.get("version"), where)
        need("event", row.get("event"), where)
        if row.get("provision"):
            need("point", (row.get("version"), row["provision"]), where)
        for account in row["accounts"]:
            need("source", account["source"], where)
            need("actor", account.get("actor"), where)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DatasetError(missing[0] + more)


@transaction.atomic
def load_demo(path: Path = RECORD) -> DemoLoader:
    """Load the record in one transaction: a bad row leaves nothing half-loaded."""
    loader = DemoLoader(read_record(path))
    loader.run()
    return loader
