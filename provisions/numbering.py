"""Ordering of point numbers as printed: 1, 2, ..., 10, 10a, 10.b, 11."""

import re

_NUMBER = re.compile(r"^\s*(\d+)\s*[.)]?\s*([a-z]{0,3})\s*[.)]?\s*(\d*)\s*[.)]?\s*$", re.IGNORECASE)


def point_sort_key(number: str) -> str:
    """A string that sorts like the printed numbers do.

    "10a" and "10.a" give the same key, so they count as the same point number.
    Numbers that do not start with digits (an annex "A") sort after numbered points.
    """
    match = _NUMBER.match(number or "")
    if not match:
        return "99999~" + (number or "").strip().lower()
    main, letters, sub = match.groups()
    return f"{int(main):05d}.{letters.lower():<3}.{int(sub or 0):04d}"
