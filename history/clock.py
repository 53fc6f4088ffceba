"""What "today" means for dated records (stances, events, sources): one rule for every app."""

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

# The first time zone to start a new day (UTC+14).
_FIRST_ZONE = ZoneInfo("Pacific/Kiritimati")


def latest_today() -> date:
    """Today where it is already latest. A stance taken in Kyiv or Moscow on the 21st is
    often recorded while it is still the 20th in UTC: a date counts as "in the future"
    only once it is after today everywhere."""
    return timezone.localdate(timezone=_FIRST_ZONE)
