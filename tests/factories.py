"""factory_boy factories for every editorial model."""

import datetime

import factory
from django.contrib.auth import get_user_model

from actors.choices import ActorKind, EventKind, Stance
from actors.models import Account, Actor, Claim, Event, Position
from editors.permissions import editors_group
from provisions.choices import Disposition, ProvisionStatus, TerritoryKind, TextBasis, Topic, VersionStatus
from provisions.models import (
    ControlObservation,
    Lineage,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery-staple")


class EditorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def editors_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.groups.add(editors_group())


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    publisher = "Axios"
    title = factory.Sequence(lambda n: f"Report number {n} on the peace plan")
    url = factory.Sequence(lambda n: f"https://example.org/report-{n}")
    published_on = datetime.date(2025, 11, 19)


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Party {n}")
    slug = factory.Sequence(lambda n: f"party-{n}")
    kind = ActorKind.STATE
    short_code = factory.Sequence(lambda n: f"P{n}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"Peace plan {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version

    plan = factory.SubFactory(PlanFactory)
    label = factory.Sequence(lambda n: f"Draft {n}")
    dated = datetime.date(2025, 11, 20)
    status = VersionStatus.LEAKED
    text_basis = TextBasis.LEAKED


class ProvisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provision

    version = factory.SubFactory(VersionFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    title = factory.Sequence(lambda n: f"Point {n}")
    text = "Ukraine's sovereignty will be confirmed."
    topics = factory.LazyFunction(lambda: [Topic.SOVEREIGNTY.value])
    status = ProvisionStatus.PROPOSED


class LineageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lineage

    provision = factory.SubFactory(ProvisionFactory)
    derives_from = factory.SubFactory(ProvisionFactory)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Oblast {n}")
    slug = factory.Sequence(lambda n: f"oblast-{n}")
    kind = TerritoryKind.OBLAST


class ControlObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ControlObservation

    territory = factory.SubFactory(TerritoryFactory)
    observed_on = datetime.date(2025, 11, 19)
    ukraine_share = 12
    russia_share = 88
    source = factory.SubFactory(SourceFactory)


class DispositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TerritorialDisposition

    provision = factory.SubFactory(ProvisionFactory)
    territory = factory.SubFactory(TerritoryFactory)
    disposition = Disposition.FROZEN_ON_CONTACT_LINE


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position
        skip_postgeneration_save = True

    actor = factory.SubFactory(ActorFactory)
    provision = factory.SubFactory(ProvisionFactory)
    version = factory.SelfAttribute("provision.version")
    stance = Stance.SUPPORTS
    summary = "Backs the point."
    taken_on = datetime.date(2025, 11, 20)

    @factory.post_generation
    def sources(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create:
            self.sources.set(extracted if extracted is not None else [SourceFactory()])


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Meeting {n}")
    occurred_on = datetime.date(2025, 11, 19)
    kind = EventKind.MEETING
    location = "Ankara"

    @factory.post_generation
    def actors(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.actors.set(extracted)

    @factory.post_generation
    def sources(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create:
            self.sources.set(extracted if extracted is not None else [SourceFactory()])


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    question = factory.Sequence(lambda n: f"Did the envoy agree to the terms? ({n})")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    claim = factory.SubFactory(ClaimFactory)
    claimant = "US official speaking to Axios"
    says = "He agreed to most points."
    source = factory.SubFactory(SourceFactory)
    reported_on = datetime.date(2025, 11, 19)
