"""Report columns: property names from headings, types from a sample, value normalisation.

This is the one place where Crewmojo's value quirks are handled: yyyymmdd dates with ``0``
for none, ``Yes``/``No`` booleans, every CSV value a string (and JSON values possibly numbers),
empty cells for missing values.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing as t
from collections.abc import Callable, Iterable, Sequence

COLUMN_TYPES = ("string", "integer", "number", "boolean", "date")
NON_NAME = re.compile(r"[^a-z0-9]+")
INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")  # no leading zeros: "007" is a code, not a number
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
YES_NO = {"yes": True, "no": False}


class ValueTypeError(ValueError):
    """A value that does not fit its column's type."""


def snake_name(text: str) -> str:
    """Lower-case, every run of characters other than a-z and 0-9 → ``_``, none at the ends."""
    return NON_NAME.sub("_", text.lower()).strip("_")


def property_names(headings: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """Unique property names for a heading row: repeats get ``_2``, ``_3``, … in order."""
    taken = set(reserved)
    names = []
    for position, heading in enumerate(headings, start=1):
        base = snake_name(heading) or f"column_{position}"
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names


# --- type inference -------------------------------------------------------------------
def as_text(value: t.Any) -> str:
    """A sample value as the CSV would show it (JSON reports may carry numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _is_yyyymmdd(text: str) -> bool:
    return len(text) == 8 and text.isdigit() and _date_or_none(text) is not None


def infer_type(values: Iterable[str]) -> str:
    """The narrowest type every non-empty sample value fits; ``string`` when in doubt.

    A column whose sample holds only ``0`` (or nothing) stays a string: ``0`` is both the
    vendor's "no date" and a count, and only a string can hold whatever comes later.
    """
    present = [value for value in values if value != ""]
    if not present or all(value == "0" for value in present):
        return "string"
    if all(value == "0" or _is_yyyymmdd(value) for value in present):
        return "date"
    if all(value.lower() in YES_NO for value in present):
        return "boolean"
    if all(INTEGER.fullmatch(value) for value in present):
        return "integer"
    if all(NUMBER.fullmatch(value) for value in present):
        return "number"
    return "string"


def property_schema(column_type: str, title: str) -> dict[str, t.Any]:
    schema: dict[str, t.Any] = {"type": [column_type, "null"], "title": title}
    if column_type == "date":
        schema = {"type": ["string", "null"], "format": "date", "title": title}
    return schema


def schema_type(schema: dict[str, t.Any]) -> str:
    """The column type a property schema (ours, or a catalog's) stands for."""
    if schema.get("format") == "date":
        return "date"
    declared = schema.get("type", "string")
    types = [declared] if isinstance(declared, str) else list(declared)
    for column_type in COLUMN_TYPES:
        if column_type in types:
            return column_type
    return "string"


# --- normalisation --------------------------------------------------------------------
@functools.lru_cache(maxsize=65536)
def _date_or_none(text: str) -> str | None:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])).isoformat()
    except ValueError:
        return None


def to_date(value: t.Any) -> str | None:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if text == "0":
        return None
    iso = _date_or_none(text) if isinstance(text, str) and len(text) == 8 and text.isdigit() else None
    if iso is None:
        raise ValueTypeError("not a yyyymmdd date")
    return iso


def to_boolean(value: t.Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in YES_NO:
        return YES_NO[value.lower()]
    raise ValueTypeError("not Yes or No")


def to_integer(value: t.Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.fullmatch(value):
        return int(value)
    raise ValueTypeError("not an integer")


def to_number(value: t.Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)
    raise ValueTypeError("not a number")


def to_string(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | bool):
        return as_text(value)
    raise ValueTypeError("not a single value")


CONVERTERS: dict[str, Callable[[t.Any], t.Any]] = {
    "date": to_date,
    "boolean": to_boolean,
    "integer": to_integer,
    "number": to_number,
    "string": to_string,
}
