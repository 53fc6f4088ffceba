"""Dates that carry their precision: an exact day, a month, or "about" a day.

A month-only date is stored as the first of the month, with precision MONTH, so dates
still sort and filter as dates; this module is the one place that says how such a
date reads and which stored values are consistent.
"""

from __future__ import annotations

from datetime import date

from django.db import models


class DatePrecision(models.TextChoices):
    """How much of a stored date is known. A month-only date is stored as the 1st of the month."""

    DAY = "day", "Exact day"
    MONTH = "month", "Month only"
    APPROXIMATE = "approximate", "Approximate (about that day)"


def precision_field(of: str) -> models.CharField:
    """The companion field that says how much of the date field `of` is known."""
    return models.CharField(
        f"{of.replace('_', ' ')} precision",
        max_length=12,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="Month only: store the 1st of the month. Approximate: the best-supported day.",
    )


def precision_error(day: date | None, precision: str) -> str | None:
    """Why this date and precision don't fit together, or None."""
    if day is None or precision not in DatePrecision.values:
        return None if day is None else f"Unknown precision {precision!r}."
    if precision == DatePrecision.MONTH and day.day != 1:
        return "A date known only to the month is stored as the 1st of that month."
    return None


def describe(day: date | None, precision: str = DatePrecision.DAY) -> str:
    """'16 May 2025', 'May 2025' or 'about 16 May 2025'."""
    if day is None:
        return ""
    if precision == DatePrecision.MONTH:
        return f"{day:%B %Y}"
    text = f"{day.day} {day:%B %Y}"
    return f"about {text}" if precision == DatePrecision.APPROXIMATE else text
