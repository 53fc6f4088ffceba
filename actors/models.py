"""Who takes part (actors), where they stand (positions), what happened (events),
and competing accounts of the same claim."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from history.clock import latest_today
from history.dating import precision_error, precision_field
from history.models import RecordedModel
from history.querysets import HistoryRecordingQuerySet
from history.text import storable_text
from provisions.models import Provision, Source, Version

from .choices import ActorKind, Attribution, EventKind, Stance
from .stances import current_in_sql


class ActorQuerySet(HistoryRecordingQuerySet):
    def principal(self) -> ActorQuerySet:
        """The parties shown as columns of the stance matrix."""
        return self.filter(is_principal=True).order_by("matrix_order", "name")


class Actor(RecordedModel):
    """A state, a person, an organization or a bloc."""

    name = models.CharField(max_length=200, validators=[storable_text])
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ActorKind.choices)
    short_code = models.CharField(
        max_length=8, blank=True, validators=[storable_text], help_text="Short label for tables, e.g. US, RU, UA."
    )
    role = models.CharField(
        max_length=200, blank=True, validators=[storable_text], help_text="For a person: office or function."
    )
    represents = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="representatives",
        help_text="For a person: the party they speak for.",
    )
    is_principal = models.BooleanField(
        "principal party", default=False, help_text="Shown as a column of the stance matrix."
    )
    matrix_order = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True, validators=[storable_text])

    objects = ActorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_empty"),
            models.CheckConstraint(condition=~Q(represents=F("id")), name="actor_not_own_party"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_code or self.name

    @property
    def party(self) -> Actor:
        """The party this actor speaks for (itself for a state or bloc)."""
        return self.represents or self

    def clean(self) -> None:
        if self.represents_id and self.represents_id == self.pk:
            raise ValidationError({"represents": "An actor cannot speak for itself."})

    def get_absolute_url(self) -> str:
        return reverse("actors:actor_detail", args=[self.pk])


class PositionQuerySet(HistoryRecordingQuerySet):
    def with_relations(self) -> PositionQuerySet:
        return self.select_related("actor", "actor__represents", "version", "provision").prefetch_related("sources")

    def current(self) -> PositionQuerySet:
        """Each actor's current stance per subject (the rule: `actors.stances.current_in_sql`)."""
        return current_in_sql(self)


class Position(RecordedModel):
    """An actor's stance on one point or on a version as a whole, as of a date."""

    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="positions")
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="positions")
    provision = models.ForeignKey(
        Provision,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="positions",
        help_text="Leave empty for a stance on the version as a whole.",
    )
    stance = models.CharField(max_length=20, choices=Stance.choices)
    summary = models.TextField(validators=[storable_text])
    taken_on = models.DateField(help_text="When the stance was taken (or first reported).")
    taken_on_precision = precision_field("taken_on")
    attribution = models.CharField(
        max_length=20,
        choices=Attribution.choices,
        default=Attribution.STATED,
        help_text="Stated: the party, or a person who speaks for it, said so. Attributed: someone else says so.",
    )
    attributed_to = models.CharField(
        max_length=300,
        blank=True,
        validators=[storable_text],
        help_text="Who reports it, e.g. “Ukrainian officials speaking to Axios”; "
        "for an attributed stance, who attributes it (required).",
    )
    sources = models.ManyToManyField(Source, related_name="positions")

    objects = PositionQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(summary=""), name="position_summary_not_empty"),
            models.CheckConstraint(
                condition=~Q(attribution=Attribution.ATTRIBUTED) | ~Q(attributed_to=""),
                name="attributed_position_says_by_whom",
                violation_error_message="Say who attributes this stance to the party.",
            ),
        ]
        indexes = [
            models.Index(fields=["actor", "version", "provision", "taken_on"]),
            # The timeline and a party's page read the newest stances with a LIMIT: in this order,
            # the database reads a page's worth instead of sorting every stance on record.
            models.Index(fields=["-taken_on", "-id"], name="position_newest_first"),
        ]

    def __str__(self) -> str:
        subject = f"point {self.provision.number}" if self.provision_id else f"“{self.version.label}”"
        return f"{self.actor} {self.get_stance_display().lower()} {subject} ({self.taken_on:%Y-%m-%d})"

    def save(self, *args, **kwargs) -> None:
        # A point's version is implied; the admin's inline form leaves it to us.
        if self.provision_id and not self.version_id:
            self.version_id = self.provision.version_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.provision_id:
            if self.version_id is None:
                self.version_id = self.provision.version_id
            elif self.provision.version_id != self.version_id:
                errors["provision"] = (
                    f"Point {self.provision.number} is a point of “{self.provision.version.label}”, "
                    f"not of the chosen version “{self.version.label}”: pick a point of that version, "
                    "or none for a stance on the version as a whole."
                )
        if self.taken_on and self.taken_on > latest_today():
            errors["taken_on"] = "A position cannot be dated in the future."
        if problem := precision_error(self.taken_on, self.taken_on_precision):
            errors["taken_on_precision"] = problem
        if self.attribution == Attribution.ATTRIBUTED and not self.attributed_to.strip():
            errors["attributed_to"] = "Say who attributes this stance to the party."
        if errors:
            raise ValidationError(errors)


class EventQuerySet(HistoryRecordingQuerySet):
    def with_relations(self) -> EventQuerySet:
        return self.select_related("version").prefetch_related("actors", "sources")


class Event(RecordedModel):
    """A dated happening: a call, a meeting, a negotiation round, a statement."""

    title = models.CharField(max_length=300, validators=[storable_text])
    occurred_on = models.DateField()
    date_precision = precision_field("occurred_on")
    kind = models.CharField(max_length=30, choices=EventKind.choices, default=EventKind.OTHER)
    location = models.CharField(max_length=200, blank=True, validators=[storable_text])
    description = models.TextField(blank=True, validators=[storable_text])
    version = models.ForeignKey(
        # PROTECT, not SET_NULL: clearing the link on delete would change events without a history row.
        Version,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text="Version discussed.",
    )
    actors = models.ManyToManyField(Actor, related_name="events", blank=True)
    sources = models.ManyToManyField(Source, related_name="events")

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[actors, sources])

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="event_title_not_empty")]
        indexes = [models.Index(fields=["-occurred_on", "-id"], name="event_newest_first")]  # as positions

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d} {self.title}"

    def clean(self) -> None:
        if self.occurred_on and self.occurred_on > latest_today():
            raise ValidationError({"occurred_on": "An event cannot be dated in the future."})
        if problem := precision_error(self.occurred_on, self.date_precision):
            raise ValidationError({"date_precision": problem})


class Claim(RecordedModel):
    """A contested fact: what happened or who agreed, on which accounts differ."""

    question = models.CharField(max_length=300, validators=[storable_text])
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    provision = models.ForeignKey(Provision, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["question"]
        constraints = [models.CheckConstraint(condition=~Q(question=""), name="claim_question_not_empty")]

    def __str__(self) -> str:
        return self.question


class Account(RecordedModel):
    """One side's account of a claim, with its own source; accounts never overwrite each other."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="accounts")
    claimant = models.CharField(
        max_length=300, validators=[storable_text], help_text="Who gives this account, e.g. “US official (Axios)”."
    )
    actor = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="Party they speak for.",
    )
    says = models.TextField(validators=[storable_text])
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="accounts")
    reported_on = models.DateField()

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reported_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(says=""), name="account_says_not_empty"),
            models.CheckConstraint(condition=~Q(claimant=""), name="account_claimant_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.claimant}: {self.says[:60]}"

    def clean(self) -> None:
        if self.reported_on and self.reported_on > latest_today():
            raise ValidationError({"reported_on": "An account cannot be dated in the future."})
