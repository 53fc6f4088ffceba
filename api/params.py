"""Query-string parameters, parsed once for the API and the dashboard alike.

Integers, dates, `as_of` and id-or-slug references are read here only. A value that
cannot be used raises `BadParameter` (a Django ValidationError keyed by the parameter):
the API answers it with a 400 naming the parameter, the dashboard with its 400 page.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.utils import timezone

from history.records import end_of_day

_ID = re.compile(r"[0-9]{1,18}", re.ASCII)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class BadParameter(ValidationError):
    """A query parameter that cannot be used; `.param` names it."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__({param: [message]})

    @property
    def message_text(self) -> str:
        return " ".join(self.messages)


def as_id(value: str | None) -> int | None:
    """`value` as a database id, or None: ASCII digits only (`"¹9".isdigit()` is True in
    Python, but int() refuses it) and short enough for a bigint."""
    if value is None or not _ID.fullmatch(value.strip()):
        return None
    return int(value.strip())


def parse_int(value: str | None, param: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    """A whole number (ASCII digits) from `minimum` to `maximum` (if given); None when empty."""
    if value is None or value.strip() == "":
        return None
    number = as_id(value)
    if number is None or number < minimum or (maximum is not None and number > maximum):
        expected = f"from {minimum}" + (f" to {maximum}" if maximum is not None else "")
        raise BadParameter(param, f"“{value}” is not a valid {param}: expected a whole number {expected}.")
    return number


def parse_day(value: str | None, param: str) -> date | None:
    """`YYYY-MM-DD` (only that form: date.fromisoformat would also take 20251120); None when empty."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not _ISO_DAY.fullmatch(text):
        raise BadParameter(param, f"“{value}” is not a date: use YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadParameter(param, f"“{value}” is not a date: use YYYY-MM-DD.") from None


def parse_as_of(value: str | None, param: str = "as_of") -> datetime | None:
    """`YYYY-MM-DD` to the last instant of that day (UTC); None for no value.
    A malformed date or one in the future is a BadParameter."""
    day = parse_day(value, param)
    if day is None:
        return None
    if day > timezone.localdate():
        raise BadParameter(param, "as_of cannot be in the future.")
    return end_of_day(day)


def resolve_id_or_slug(model: type[Model], value: str, param: str) -> Any:
    """The record whose id or slug is `value`; BadParameter naming `param` if there is none."""
    match = Q(slug=value.strip())
    if (pk := as_id(value)) is not None:
        match |= Q(pk=pk)
    found = model._default_manager.filter(match).first()
    if found is None:
        raise BadParameter(param, f"No {model._meta.verbose_name} with id or slug “{value}”.")
    return found
