"""Fixtures for the dashboard's view tests: the demo plus a second version linked by
lineage, and a generator that grows every kind of record for the query-count tests."""

from __future__ import annotations

import datetime

import pytest

from actors.models import Actor
from provisions.choices import Disposition, LineageRelation, VersionStatus
from provisions.models import Provision, Territory, Version
from provisions.services import lineage_link, provision_update
from tests.factories import (
    AccountFactory,
    ClaimFactory,
    ControlObservationFactory,
    DispositionFactory,
    EventFactory,
    PositionFactory,
    ProvisionFactory,
    SourceFactory,
    TerritoryFactory,
    VersionFactory,
)

DRAFT = "28-point draft"


@pytest.fixture
def draft(demo_data) -> Version:
    return Version.objects.get(label=DRAFT)


def point(version: Version, number: str) -> Provision:
    return Provision.objects.get(version=version, number=number)


@pytest.fixture
def revision(draft) -> Version:
    return make_revision(draft)


def make_revision(draft: Version) -> Version:
    """A later version of the plan: point 1 carried over, 6 reworded and renumbered 2,
    7 and 8 merged into 3, a new point 4; every other point of the draft dropped."""
    later = VersionFactory(
        plan=draft.plan,
        label="Revised draft",
        dated=datetime.date(2025, 11, 23),
        status=VersionStatus.UNDER_NEGOTIATION,
        revises=draft,
    )
    one = point(draft, "1")
    carried = ProvisionFactory(version=later, number="1", title=one.title, text=one.text, topics=one.topics)
    lineage_link(provision=carried, derives_from=one, relation=LineageRelation.CARRIED)
    six = point(draft, "6")
    reworded = ProvisionFactory(
        version=later,
        number="2",
        title=six.title,
        text=six.text.replace("600,000", "800,000"),
        topics=six.topics,
        status=six.status,
    )
    lineage_link(provision=reworded, derives_from=six)
    merged = ProvisionFactory(version=later, number="3", title="NATO membership and troops", text="Merged text.")
    for number in ("7", "8"):
        lineage_link(provision=merged, derives_from=point(draft, number), relation=LineageRelation.MERGED)
    ProvisionFactory(version=later, number="4", title="A new point on prisoners", text="All prisoners exchanged.")
    return later


def grow(version: Version, size: int) -> None:
    """Add `size` of everything a page can show: points with dispositions, stances of
    every principal party and of a representative, earlier stances, edits, claims and
    accounts, events, territories and control figures, lineage into a later version."""
    parties = list(Actor.objects.principal())
    person = Actor.objects.filter(represents__in=parties).first()
    later = Version.objects.filter(revises=version).first() or VersionFactory(
        plan=version.plan, label="Grown revision", dated=datetime.date(2025, 11, 24), revises=version
    )
    source = SourceFactory()
    start = Provision.objects.filter(version=version).count()
    for index in range(start, start + size):
        territory = TerritoryFactory(parent=Territory.objects.get(slug="donbas"))
        ControlObservationFactory(territory=territory, source=source)
        new = ProvisionFactory(version=version, number=f"{100 + index}", text=f"Grown point {index} on sanctions.")
        DispositionFactory(provision=new, territory=territory, disposition=Disposition.DEMILITARIZED_ZONE)
        for party in parties:
            PositionFactory(actor=party, provision=new, stance="opposes", taken_on=datetime.date(2025, 11, 18))
            PositionFactory(actor=party, provision=new, stance="supports", sources=[source, SourceFactory()])
        PositionFactory(actor=person, provision=new, stance="conditional")
        provision_update(provision=new, status="disputed", text=new.text + " Amended.")
        claim = ClaimFactory(provision=new, version=version)
        AccountFactory(claim=claim, actor=parties[0], source=source)
        AccountFactory(claim=claim, actor=parties[1])
        EventFactory(actors=[parties[0], person], sources=[source])
        child = ProvisionFactory(
            version=later, number=f"{200 + index}", text=f"Grown point {index} on sanctions, changed."
        )
        lineage_link(provision=child, derives_from=new)


@pytest.fixture
def grown():
    return grow
