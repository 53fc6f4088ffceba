"""Plans, their dated versions, the points of each version, territories and sources."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from history.clock import latest_today
from history.dating import precision_error, precision_field
from history.models import RecordedModel
from history.querysets import HistoryRecordingQuerySet
from history.text import storable_text

from .choices import (
    Disposition,
    LineageRelation,
    PointTextBasis,
    ProvisionStatus,
    SourceKind,
    TerritoryKind,
    TextBasis,
    Topic,
    VersionStatus,
)
from .numbering import point_sort_key

# How `point_sort_key` starts the key of a number it cannot read (it sorts after every point).
UNREADABLE_NUMBER_KEY = point_sort_key("~")[:6]

http_url = URLValidator(schemes=["http", "https"], message="Enter a web address starting with http:// or https://.")

# Characters a web address never carries unencoded (RFC 3986): URLValidator lets `"<>` through
# in the path, and such an address breaks out of an href attribute or a CSV cell elsewhere.
_UNSAFE_IN_URL = frozenset('"<>\\^`{|}')


def plain_url(value: str) -> None:
    """Refuses a web address holding a character that must be percent-encoded, naming it."""
    unsafe = sorted({c for c in value if c in _UNSAFE_IN_URL or c.isspace()})
    if unsafe:
        shown = " ".join(repr(c) if c.isspace() else c for c in unsafe)
        raise ValidationError(
            "A web address cannot contain %(chars)s: percent-encode it (e.g. %%22 for a quote).",
            code="unsafe_url",
            params={"chars": shown},
        )


class Source(RecordedModel):
    """A document a fact comes from: a news report, a statement, a post, a text."""

    publisher = models.CharField(max_length=200, validators=[storable_text])
    title = models.CharField(max_length=500, validators=[storable_text])
    url = models.URLField("URL", max_length=1000, blank=True, validators=[http_url, plain_url, storable_text])
    url_missing_reason = models.CharField(
        "why there is no address",
        max_length=300,
        blank=True,
        validators=[storable_text],
        help_text="Only where the source has no web address, e.g. “television broadcast, not online”.",
    )
    published_on = models.DateField(null=True, blank=True)
    published_on_precision = precision_field("published_on")
    kind = models.CharField(max_length=30, choices=SourceKind.choices, default=SourceKind.NEWS_REPORT)
    is_state_media = models.BooleanField(
        "state media",
        default=False,
        help_text="Run by a government (TASS, RIA…): a source for that government's position, not for facts.",
    )
    notes = models.TextField(blank=True, validators=[storable_text])

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "publisher", "title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="source_title_not_empty"),
            models.CheckConstraint(condition=~Q(publisher=""), name="source_publisher_not_empty"),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="source_url_is_http",
                violation_error_message="Enter a web address starting with http:// or https://.",
            ),
        ]

    def __str__(self) -> str:
        date = f", {self.published_on:%Y-%m-%d}" if self.published_on else ""
        return f"{self.publisher}: {self.title}{date}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.url and not self.url_missing_reason.strip():
            errors["url"] = "Give the web address, or say under “why there is no address” why there is none."
        if self.url and self.url_missing_reason.strip():
            errors["url_missing_reason"] = "Leave this empty: the source has a web address."
        # The same "today" as stances and events (history/clock.py).
        if self.published_on and self.published_on > latest_today():
            errors["published_on"] = "A source cannot be dated in the future."
        if problem := precision_error(self.published_on, self.published_on_precision):
            errors["published_on_precision"] = problem
        if errors:
            raise ValidationError(errors)


class Plan(RecordedModel):
    """A peace plan; its texts over time are its versions."""

    name = models.CharField(max_length=200, validators=[storable_text])
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, validators=[storable_text])
    proposed_by = models.ForeignKey(
        "actors.Actor", null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    answers = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="counter_proposals",
        help_text="For a counter-proposal: the plan it answers.",
    )

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="plan_name_not_empty"),
            models.CheckConstraint(condition=~Q(answers=models.F("id")), name="plan_does_not_answer_itself"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.answers_id and self.answers_id == self.pk:
            raise ValidationError({"answers": "A plan cannot answer itself."})


class VersionQuerySet(HistoryRecordingQuerySet):
    def latest_first(self) -> VersionQuerySet:
        return self.order_by("-dated", "-id")

    def with_plan(self) -> VersionQuerySet:
        return self.select_related("plan", "proposed_by", "revises", "revises__plan")


class Version(RecordedModel):
    """One dated text of a plan: a draft, a revision, a leak, a counter-proposal."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=200, validators=[storable_text])
    dated = models.DateField(help_text="The date the text is from (or was first reported).")
    dated_precision = precision_field("dated")
    proposed_by = models.ForeignKey(
        "actors.Actor", null=True, blank=True, on_delete=models.PROTECT, related_name="versions_proposed"
    )
    status = models.CharField(max_length=30, choices=VersionStatus.choices, default=VersionStatus.PROPOSED)
    text_basis = models.CharField(
        "how the text is known", max_length=30, choices=TextBasis.choices, default=TextBasis.REPORTED
    )
    summary = models.TextField(blank=True, validators=[storable_text])
    revises = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
        help_text="The earlier version (of this or another plan) this one revises or answers.",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="versions")

    objects = VersionQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["-dated", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(label=""), name="version_label_not_empty"),
            models.UniqueConstraint(
                fields=["plan", "label"],
                name="version_label_unique_in_plan",
                violation_error_message="This plan already has a version with this label.",
            ),
            models.CheckConstraint(condition=~Q(revises=models.F("id")), name="version_does_not_revise_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} — {self.label} ({self.dated:%Y-%m-%d})"

    def clean(self) -> None:
        if problem := precision_error(self.dated, self.dated_precision):
            raise ValidationError({"dated_precision": problem})
        if self.revises_id is not None:
            if self.pk and self.revises_id == self.pk:
                raise ValidationError({"revises": "A version cannot revise itself."})
            if self.dated and self.revises.dated > self.dated:
                raise ValidationError({"revises": "A version can only revise an earlier version."})
        if self.pk and self.dated:
            self._check_new_date_keeps_order()

    def _check_new_date_keeps_order(self) -> None:
        """A re-dated version must stay later than what it builds on and earlier than what builds on it."""
        if self.revisions.filter(dated__lt=self.dated).exists():
            raise ValidationError({"dated": "A version revising this one would then be earlier than it."})
        links = Lineage.objects.select_related("provision__version", "derives_from__version")
        too_late = links.filter(provision__version=self, derives_from__version__dated__gt=self.dated).first()
        if too_late is not None:
            earlier = too_late.derives_from.version
            raise ValidationError(
                {"dated": f"Its points derive from “{earlier.label}” ({earlier.dated}), which would then be later."}
            )
        too_early = links.filter(derives_from__version=self, provision__version__dated__lt=self.dated).first()
        if too_early is not None:
            later = too_early.provision.version
            raise ValidationError(
                {"dated": f"Points of “{later.label}” ({later.dated}) derive from its points: it would be later."}
            )

    def get_absolute_url(self) -> str:
        return reverse("provisions:provision_list") + f"?version={self.pk}"


def clean_point_number(number: str | None) -> str:
    """A point number as stored: "3." and " 3) " are point 3."""
    return (number or "").strip().rstrip(".)").strip()


def point_number_error(number: str | None) -> str | None:
    """Why `number` is not a point number, or None if it is one.

    A point number is what `point_sort_key` can place among the points: digits,
    then an optional letter and/or sub-number (7, 10a, 10.b, 3.2). Anything else
    ("seven!!", an annex "A", Roman numerals) would only sort after every point.
    """
    cleaned = clean_point_number(number)
    if not cleaned or not point_sort_key(cleaned).startswith(UNREADABLE_NUMBER_KEY):
        return None
    return f"“{number.strip()}” is not a point number: write it as printed, digits first, e.g. 7, 10a, 10.b or 3.2."


class ProvisionQuerySet(HistoryRecordingQuerySet):
    def in_version(self, version: Version | int) -> ProvisionQuerySet:
        return self.filter(version=version)

    def with_topic(self, topic: str) -> ProvisionQuerySet:
        # JSON containment is native on PostgreSQL; SQLite has no such lookup, so
        # match the quoted value in the JSON text (topics are plain slugs).
        if connection.vendor == "postgresql":
            return self.filter(topics__contains=[topic])
        return self.filter(topics__icontains=f'"{topic}"')

    def with_relations(self) -> ProvisionQuerySet:
        """Everything a point's card shows, in a fixed number of queries."""
        return self.select_related("version", "version__plan").prefetch_related(
            models.Prefetch(
                "dispositions",
                queryset=TerritorialDisposition.objects.select_related("territory").order_by("territory__name"),
            ),
            models.Prefetch("derives_from", queryset=Provision.objects.select_related("version")),
            models.Prefetch("derived_into", queryset=Provision.objects.select_related("version")),
            models.Prefetch("sources", to_attr="source_list"),
        )

    def in_order(self) -> ProvisionQuerySet:
        return self.order_by("version__dated", "version_id", "sort_key")


class Provision(RecordedModel):
    """One point of a version, as printed."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="provisions")
    number = models.CharField(max_length=20, validators=[storable_text], help_text="As printed: 1, 2, 10a, 10.b …")
    sort_key = models.CharField(max_length=40, editable=False, db_index=True)
    title = models.CharField(max_length=300, validators=[storable_text])
    text = models.TextField(
        blank=True,
        validators=[storable_text],
        help_text="The text as published, or its reported substance; empty only when the wording was not reported.",
    )
    text_basis = models.CharField(
        "how the text is known",
        max_length=30,
        choices=PointTextBasis.choices,
        blank=True,
        help_text="Leave empty when it is known as the version's text is. “Not reported”: the wording is unknown.",
    )
    note = models.TextField(
        blank=True, validators=[storable_text], help_text="Editorial commentary on the point; never inside the text."
    )
    sources = models.ManyToManyField(
        Source, blank=True, related_name="provisions", help_text="Where the wording comes from, if not the version's."
    )
    topics = models.JSONField(
        default=list, blank=True, help_text="One or more topics from the controlled vocabulary."
    )  # blank: validated in clean() (an imported point awaiting review may have none)
    status = models.CharField(max_length=30, choices=ProvisionStatus.choices, default=ProvisionStatus.PROPOSED)
    derives_from = models.ManyToManyField(
        "self",
        through="Lineage",
        through_fields=("provision", "derives_from"),
        symmetrical=False,
        related_name="derived_into",
        blank=True,
    )

    objects = ProvisionQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        verbose_name = "point"
        ordering = ["version__dated", "version_id", "sort_key"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="provision_title_not_empty"),
            # The text is empty exactly when its wording was not reported: an unknown is never
            # shown as text, and a known text is never marked unknown.
            models.CheckConstraint(
                condition=(Q(text="") & Q(text_basis=PointTextBasis.NOT_REPORTED))
                | (~Q(text="") & ~Q(text_basis=PointTextBasis.NOT_REPORTED)),
                name="provision_text_empty_iff_not_reported",
                violation_error_message="Leave the text empty exactly when its wording was not reported.",
            ),
            models.CheckConstraint(condition=~Q(number=""), name="provision_number_not_empty"),
            models.UniqueConstraint(
                fields=["version", "sort_key"],
                name="provision_number_unique_in_version",
                violation_error_message="This version already has a point with this number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    DERIVED_FIELDS = ("sort_key",)

    def set_derived_fields(self) -> None:
        self.sort_key = point_sort_key(self.number)

    def save(self, *args, **kwargs) -> None:
        self.set_derived_fields()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if number_error := point_number_error(self.number):
            errors["number"] = number_error
        self.number = clean_point_number(self.number)
        self.sort_key = point_sort_key(self.number)
        if self.version_id and self.number and not number_error:
            clash = Provision.objects.filter(version_id=self.version_id, sort_key=self.sort_key).exclude(pk=self.pk)
            if clash.exists():
                errors["number"] = f"This version already has a point numbered {clash.first().number}."
        topics = self.topics if isinstance(self.topics, list) else None
        # The importer may create a point with none (flag set by provisions.importing): it leaves the
        # topics empty rather than guess one the words do not name, and the editor sets them in review.
        if topics == [] and self._state.adding and getattr(self, "topics_left_to_review", False):
            pass
        elif not topics:
            errors["topics"] = "Choose at least one topic."
        elif unknown := sorted(set(topics) - set(Topic.values)):
            errors["topics"] = f"Unknown topic(s): {', '.join(map(str, unknown))}."
        elif len(set(topics)) != len(topics):
            errors["topics"] = "A topic is listed twice."
        if self.text_basis == PointTextBasis.NOT_REPORTED and self.text.strip():
            errors["text"] = "Leave the text empty for a point whose wording was not reported."
        elif self.text_basis != PointTextBasis.NOT_REPORTED and not self.text.strip():
            errors["text"] = "Give the text, or set “how the text is known” to “Not reported”."
        if errors:
            raise ValidationError(errors)

    @property
    def wording_known(self) -> bool:
        return self.text_basis != PointTextBasis.NOT_REPORTED

    @property
    def topic_labels(self) -> list[str]:
        return [Topic(topic).label for topic in self.topics if topic in Topic.values]

    def get_absolute_url(self) -> str:
        return reverse("provisions:provision_detail", args=[self.pk])


class Lineage(RecordedModel):
    """A point derives from a point of an earlier version (reworded, split, merged…)."""

    provision = models.ForeignKey(Provision, on_delete=models.CASCADE, related_name="lineage_links")
    derives_from = models.ForeignKey(Provision, on_delete=models.CASCADE, related_name="lineage_successors")
    relation = models.CharField(max_length=20, choices=LineageRelation.choices, default=LineageRelation.REWORDED)
    similarity = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Text similarity 0–1, where the link was proposed by the importer.",
    )
    confirmed = models.BooleanField(default=True, help_text="Unticked: proposed by the importer, not yet reviewed.")
    note = models.TextField(blank=True, validators=[storable_text])

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "lineage link"
        ordering = ["provision_id", "derives_from_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provision", "derives_from"],
                name="lineage_unique",
                violation_error_message="This point is already linked to that earlier point.",
            ),
            models.CheckConstraint(condition=~Q(provision=models.F("derives_from")), name="lineage_not_self"),
            models.CheckConstraint(
                condition=Q(similarity__isnull=True) | Q(similarity__gte=0, similarity__lte=1),
                name="lineage_similarity_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provision} ← {self.derives_from}"

    def clean(self) -> None:
        # A point added in the same admin form as its links is not saved yet: it has
        # no id, but it has its version, and that is what the rule needs.
        provision = getattr(self, "provision", None)
        if provision is None or not self.derives_from_id:
            return
        if self.provision_id == self.derives_from_id:
            raise ValidationError({"derives_from": "A point cannot derive from itself."})
        if provision.version_id is None:
            return
        later, earlier = provision.version, self.derives_from.version
        if earlier.pk == later.pk:
            raise ValidationError({"derives_from": "A point can only derive from a point of an earlier version."})
        if earlier.dated > later.dated:
            raise ValidationError(
                {"derives_from": f"“{earlier.label}” ({earlier.dated}) is later than “{later.label}” ({later.dated})."}
            )


class Territory(RecordedModel):
    """An oblast, a region, a place or a facility that a plan names."""

    name = models.CharField(max_length=200, validators=[storable_text])
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=TerritoryKind.choices, default=TerritoryKind.OBLAST)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="parts")
    description = models.TextField(blank=True, validators=[storable_text])

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "territories"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="territory_name_not_empty"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="territory_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor, seen = self.parent, set()
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "A territory cannot be inside itself."})
            if ancestor.pk in seen:
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


share_validators = [MinValueValidator(0), MaxValueValidator(100)]


class ControlObservation(RecordedModel):
    """Who holds how much of a territory, as of a date, according to one source.

    Sources disagree; each observation keeps its own source and none overwrites another.
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="control_observations")
    observed_on = models.DateField()
    observed_on_precision = precision_field("observed_on")
    ukraine_share = models.DecimalField(
        "share held by Ukraine (%)", max_digits=5, decimal_places=2, null=True, blank=True, validators=share_validators
    )
    russia_share = models.DecimalField(
        "share held by Russia (%)", max_digits=5, decimal_places=2, null=True, blank=True, validators=share_validators
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="control_observations")
    note = models.TextField(blank=True, validators=[storable_text])

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["territory__name", "-observed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ukraine_share__isnull=True) | Q(ukraine_share__gte=0, ukraine_share__lte=100),
                name="control_ukraine_share_0_100",
                violation_error_message="A share must be between 0 and 100 %.",
            ),
            models.CheckConstraint(
                condition=Q(russia_share__isnull=True) | Q(russia_share__gte=0, russia_share__lte=100),
                name="control_russia_share_0_100",
                violation_error_message="A share must be between 0 and 100 %.",
            ),
            models.CheckConstraint(
                condition=Q(ukraine_share__isnull=False) | Q(russia_share__isnull=False),
                name="control_has_a_share",
                violation_error_message="Give the share held by Ukraine, by Russia, or both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.territory} on {self.observed_on:%Y-%m-%d}"

    def clean(self) -> None:
        both = self.ukraine_share is not None and self.russia_share is not None
        if both and self.ukraine_share + self.russia_share > 100:
            raise ValidationError("The shares held by Ukraine and Russia add up to more than 100 %.")


class TerritorialDisposition(RecordedModel):
    """What one point proposes for one territory."""

    provision = models.ForeignKey(Provision, on_delete=models.CASCADE, related_name="dispositions")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="dispositions")
    disposition = models.CharField(max_length=40, choices=Disposition.choices)
    note = models.TextField(
        blank=True, validators=[storable_text], help_text="Which part of the territory, and on what terms."
    )

    objects = HistoryRecordingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["territory__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provision", "territory", "disposition"],
                name="disposition_unique",
                violation_error_message="This point already gives this territory this disposition.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.territory}: {self.get_disposition_display()}"
