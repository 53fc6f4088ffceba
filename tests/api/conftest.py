"""Fixtures of the API tests: clients and a dataset whose size can be chosen."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from rest_framework.test import APIClient

from actors.choices import Stance
from actors.models import Actor, Event, Position
from provisions.choices import Disposition, LineageRelation
from provisions.models import Plan, Provision, Source, Territory, Version
from tests.conftest import SharedLoad, shared_load
from tests.factories import (
    ActorFactory,
    ControlObservationFactory,
    DispositionFactory,
    EventFactory,
    LineageFactory,
    PlanFactory,
    PositionFactory,
    ProvisionFactory,
    SourceFactory,
    TerritoryFactory,
    UserFactory,
    VersionFactory,
)

# The operations this API's tests cover (other apps add their own under /api/v1/).
OURS = re.compile(r"^/api/v1/(plans|versions|provisions|territories|actors|positions|sources|events|changes)/")


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """Anonymous throttling off (its own test turns it on), and no leftover throttle history."""
    settings.API_ANON_RATE = None
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db) -> APIClient:
    return APIClient()


class ReadBeforeWriteClient(APIClient):
    """An API client that writes as a careful script does: a `PUT`, `PATCH` or `DELETE`
    without an `If-Match` of its own first GETs the record and sends its ETag back
    (writes require one: 428 without). Tests of If-Match itself pass theirs."""

    def _with_etag(self, path: str, extra: dict) -> dict:
        if "HTTP_IF_MATCH" not in extra:
            etag = self.get(path).headers.get("ETag")
            if etag:
                extra = {**extra, "HTTP_IF_MATCH": etag}
        return extra

    def put(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        return super().put(path, data, format, content_type, follow, **self._with_etag(path, extra))

    def patch(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        return super().patch(path, data, format, content_type, follow, **self._with_etag(path, extra))

    def delete(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        return super().delete(path, data, format, content_type, follow, **self._with_etag(path, extra))


@pytest.fixture
def editor_api(editor) -> APIClient:
    client = ReadBeforeWriteClient()
    client.force_authenticate(editor)
    return client


@pytest.fixture
def reader_api(db) -> APIClient:
    """A logged-in user who is not an editor."""
    client = APIClient()
    client.force_authenticate(UserFactory(username="reader"))
    return client


@dataclass
class World:
    plan: Plan
    old: Version
    new: Version
    old_points: list[Provision]
    new_points: list[Provision]
    actors: list[Actor]
    territories: list[Territory]
    sources: list[Source]
    positions: list[Position] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def build_world(size: int) -> World:
    """A plan with two versions of `size` points each, lineage between them (renumbered:
    old point i becomes new point size+1-i), `size` actors each with an old and a newer
    stance on every new point, a territory per point, observations and events.
    Every count grows with `size`, so a query count that depends on data shows up."""
    sources = [SourceFactory() for _ in range(3)]
    plan = PlanFactory()
    old = VersionFactory(plan=plan, label="First draft", dated=datetime.date(2025, 11, 20))
    new = VersionFactory(plan=plan, label="Revised draft", dated=datetime.date(2025, 11, 27), revises=old)
    old.sources.set(sources[:2])
    actors = [ActorFactory(is_principal=True, matrix_order=i) for i in range(size)]
    territories = [TerritoryFactory() for _ in range(size)]
    old_points = [
        ProvisionFactory(version=old, number=str(i + 1), title=f"Old point {i + 1}", text=f"Text of point {i + 1}.")
        for i in range(size)
    ]
    new_points = []
    for i, earlier in enumerate(old_points):
        point = ProvisionFactory(
            version=new,
            number=str(size - i),
            title=earlier.title,
            text=earlier.text + " Amended.",
            topics=["territory", "sovereignty"],
        )
        LineageFactory(provision=point, derives_from=earlier, relation=LineageRelation.REWORDED, similarity=0.9)
        new_points.append(point)
    world = World(plan, old, new, old_points, new_points, actors, territories, sources)
    for point, territory in zip(new_points, territories, strict=True):
        DispositionFactory(provision=point, territory=territory, disposition=Disposition.DEMILITARIZED_ZONE)
        ControlObservationFactory(territory=territory, source=sources[0], observed_on=datetime.date(2025, 11, 1))
        ControlObservationFactory(territory=territory, source=sources[1], observed_on=datetime.date(2025, 11, 15))
        for actor in actors:
            world.positions.append(
                PositionFactory(
                    actor=actor,
                    provision=point,
                    stance=Stance.OPPOSES,
                    taken_on=datetime.date(2025, 11, 21),
                    sources=sources[:2],
                )
            )
            world.positions.append(
                PositionFactory(
                    actor=actor,
                    provision=point,
                    stance=Stance.SUPPORTS,
                    taken_on=datetime.date(2025, 11, 28),
                    sources=sources[1:],
                )
            )
    for i in range(size):
        world.events.append(
            EventFactory(actors=actors[:2], sources=sources[:2], occurred_on=datetime.date(2025, 11, 10 + i % 15))
        )
    return world


WORLD_SIZE = 3  # the size of `world`


@pytest.fixture(scope="module")
def _world_in_module(_shared_loads, django_db_blocker) -> SharedLoad:
    return shared_load(django_db_blocker, ("world", WORLD_SIZE), lambda: build_world(WORLD_SIZE))


@pytest.fixture
def world(request, _world_in_module, db) -> World:
    """`build_world(3)`, built once per module (and xdist worker) and shared (see `SharedLoad`): a copy."""
    return _world_in_module.copy_for(request, lambda: build_world(WORLD_SIZE))


@pytest.fixture
def wsgi_schema(api, demo_data, editor):
    """The schema loaded by schemathesis, calling the Django app in-process (no network).

    Django closes the database connection after each request it serves; inside a
    test transaction that would break the test, so (as Django's test client does)
    the connection is kept for the duration. The schema is fetched first: the test
    client reconnects the closing handler when it is done."""
    raw = json.loads(api.get("/api/v1/schema/", {"format": "json"}).content)
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
