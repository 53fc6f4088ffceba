"""The controlled vocabulary of plans, versions, points and territories.

Defined once here and reused by models, filters, the API schema, templates and CSV.
"""

from django.db import models


class Topic(models.TextChoices):
    SOVEREIGNTY = "sovereignty", "Sovereignty"
    SECURITY_GUARANTEES = "security_guarantees", "Security guarantees"
    MILITARY_LIMITS = "military_limits", "Military limits"
    NATO_ALLIANCES = "nato_alliances", "NATO and alliances"
    TERRITORY = "territory", "Territory"
    SANCTIONS_ECONOMY = "sanctions_economy", "Sanctions and economy"
    FROZEN_ASSETS = "frozen_assets", "Frozen assets"
    RECONSTRUCTION = "reconstruction", "Reconstruction"
    NUCLEAR = "nuclear", "Nuclear"
    HUMANITARIAN = "humanitarian", "Humanitarian"
    GOVERNANCE_ELECTIONS = "governance_elections", "Governance and elections"
    LANGUAGE_CULTURE_RELIGION = "language_culture_religion", "Language, culture and religion"
    AMNESTY_JUSTICE = "amnesty_justice", "Amnesty and justice"
    IMPLEMENTATION_MONITORING = "implementation_monitoring", "Implementation and monitoring"
    CEASEFIRE = "ceasefire", "Ceasefire"


class VersionStatus(models.TextChoices):
    LEAKED = "leaked", "Leaked"
    PROPOSED = "proposed", "Proposed"
    UNDER_NEGOTIATION = "under_negotiation", "Under negotiation"
    AGREED = "agreed", "Agreed"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"


class TextBasis(models.TextChoices):
    """How the text of a version is known."""

    OFFICIAL = "official", "Official text"
    LEAKED = "leaked", "Leaked text"
    REPORTED = "reported", "Reported by the press (no full text)"
    RECONSTRUCTED = "reconstructed", "Reconstructed from several reports"


class PointTextBasis(models.TextChoices):
    """How the wording of one point is known: as a version's text can be, or not at all
    (the point is known to exist, its wording was not reported)."""

    OFFICIAL = TextBasis.OFFICIAL.value, TextBasis.OFFICIAL.label
    LEAKED = TextBasis.LEAKED.value, TextBasis.LEAKED.label
    REPORTED = TextBasis.REPORTED.value, TextBasis.REPORTED.label
    RECONSTRUCTED = TextBasis.RECONSTRUCTED.value, TextBasis.RECONSTRUCTED.label
    NOT_REPORTED = "not_reported", "Not reported"


class ProvisionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DISPUTED = "disputed", "Disputed"
    AGREED_IN_PRINCIPLE = "agreed_in_principle", "Agreed in principle"
    AGREED = "agreed", "Agreed"
    DROPPED = "dropped", "Dropped"
    IMPLEMENTED = "implemented", "Implemented"


class LineageRelation(models.TextChoices):
    """How a point relates to the earlier point it derives from."""

    CARRIED = "carried", "Carried over unchanged"
    REWORDED = "reworded", "Reworded"
    SPLIT = "split", "Split from"
    MERGED = "merged", "Merged from"
    MOVED = "moved", "Moved from"


class Disposition(models.TextChoices):
    """What a provision proposes for a territory."""

    RECOGNIZED_RUSSIAN_DE_FACTO = "recognized_russian_de_facto", "Recognized as Russian de facto"
    RECOGNIZED_RUSSIAN_DE_JURE = "recognized_russian_de_jure", "Recognized as Russian de jure"
    DEMILITARIZED_ZONE = "demilitarized_zone", "Demilitarized zone"
    FROZEN_ON_CONTACT_LINE = "frozen_on_contact_line", "Frozen on the contact line"
    RETURNED_TO_UKRAINE = "returned_to_ukraine", "Returned to Ukraine"
    INTERNATIONAL_ADMINISTRATION = "international_administration", "International administration"
    INTERNATIONAL_SUPERVISION = "international_supervision", "Operated under international supervision"
    FREE_PASSAGE = "free_passage", "Open to free commercial passage"
    UNDETERMINED = "undetermined", "Left to later negotiation"


class TerritoryKind(models.TextChoices):
    REGION = "region", "Region (several oblasts)"
    OBLAST = "oblast", "Oblast / autonomous republic"
    CITY = "city", "City or town"
    FACILITY = "facility", "Facility"
    WATERWAY = "waterway", "River or sea"


class SourceKind(models.TextChoices):
    NEWS_REPORT = "news_report", "News report"
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    SOCIAL_MEDIA = "social_media", "Social media post"
    DOCUMENT = "document", "Document"
    ANALYSIS = "analysis", "Analysis or estimate"
