"""The controlled vocabulary of actors, positions and events, defined once."""

from django.db import models


class ActorKind(models.TextChoices):
    STATE = "state", "State"
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"
    BLOC = "bloc", "Bloc"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONDITIONAL = "conditional", "Conditional"
    OPPOSES = "opposes", "Opposes"
    MIXED = "mixed", "Mixed"
    UNCLEAR = "unclear", "Unclear"


class Attribution(models.TextChoices):
    """Who a stance comes from."""

    STATED = "stated", "Stated by the party"
    ATTRIBUTED = "attributed", "Attributed to the party by others"


class EventKind(models.TextChoices):
    CALL = "call", "Phone call"
    MEETING = "meeting", "Meeting"
    NEGOTIATION_ROUND = "negotiation_round", "Negotiation round"
    STATEMENT = "statement", "Statement"
    PUBLICATION = "publication", "Publication or leak"
    OTHER = "other", "Other"
