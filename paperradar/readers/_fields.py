"""Field helpers shared by the hf-daily, csl-json and csv readers.

Date rule (the same as the BibTeX and RIS readers, see ``_citation``): a source that knows
only a year, or a year and a month, gets the *first day of the stated period* -- 2024 ->
2024-01-01, May 2024 -> 2024-05-01. That day is a lower bound, not a claim that the paper
appeared on it: ``--since`` then never drops a paper dated inside the window. ``Paper`` has
no precision field, so a reviewer comparing dates across sources should keep this in mind.
"""

from __future__ import annotations

import datetime as dt
import re

from paperradar.readers.base import month_number
from paperradar.readers.limits import shown


class Invalid(ValueError):
    """One field of one record is wrong; the record becomes a bad record with this reason."""


_ISO = re.compile(
    r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?"  # 2024, 2024-05, 2024-05-17, 2024/05/17
    r"(?:[T ][\d:.]+(?:Z|[+-][\d:]+)?)?$"  # an optional time of day and zone
)
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?,?\s+(\d{4})$")


def parse_loose_date(text: str) -> dt.date | None:
    """A date as people write it in tables and reference managers; None for empty text.

    Accepts ISO dates and timestamps, ``2024``, ``2024-05``, ``2024/05/17``, ``17 May 2024``,
    ``May 17, 2024``, ``May 2024`` and ``17/05/2024`` or ``05/17/2024`` when the day is
    over 12 (otherwise day and month cannot be told apart). Raises ValueError otherwise.
    """
    value = " ".join(text.split())
    if not value:
        return None
    if match := _ISO.match(value):
        year, month, day = match.groups()
        return _first_day(int(year), month, day)
    if match := _NUMERIC_DMY.match(value):
        first, second, year = (int(g) for g in match.groups())
        if first > 12 >= second:
            return dt.date(year, second, first)
        if second > 12 >= first:
            return dt.date(year, first, second)
        raise ValueError(f"ambiguous day and month: {shown(value)}")
    if match := _DAY_MONTH_YEAR.match(value):
        return _named(match.group(2), match.group(3), match.group(1))
    if match := _MONTH_DAY_YEAR.match(value):
        return _named(match.group(1), match.group(3), match.group(2))
    if match := _MONTH_YEAR.match(value):
        return _named(match.group(1), match.group(2), None)
    raise ValueError(f"not a date: {shown(value)}")


def _first_day(year: int, month: str | int | None, day: str | int | None) -> dt.date:
    """The first day of the period a (year, month, day) prefix names; ValueError if invalid
    (a year such as 10**20 included)."""
    try:
        return dt.date(
            year,
            1 if month is None or month == "" else int(month),
            1 if day is None or day == "" else int(day),
        )
    except OverflowError:
        raise ValueError(f"not a date: year {shown(year)}") from None


def _named(month_name: str, year: str, day: str | None) -> dt.date:
    month = month_number(month_name)
    if month is None or len(month_name) < 3:
        raise ValueError(f"not a month: {shown(month_name)}")
    return _first_day(int(year), month, day)


def date_from_parts(parts: list[object]) -> dt.date | None:
    """A CSL ``date-parts`` entry (``[2024, 5, 17]``, ``["2023", 7]``, ``[2019]``)."""
    if not parts or parts[0] in (None, ""):
        return None
    numbers: list[int] = []
    for part in parts[:3]:
        if isinstance(part, bool) or not isinstance(part, int | str):
            raise ValueError(f"not a date part: {shown(part)}")
        text = str(part).strip()
        if not text.isdigit():
            raise ValueError(f"not a date part: {shown(part)}")
        numbers.append(int(text))
    year, *rest = numbers
    return _first_day(year, rest[0] if rest else None, rest[1] if len(rest) > 1 else None)
