"""Faker's en_US first and last names with their frequencies: read from ``names.json`` while
the installed Faker is the one that wrote it (importing Faker costs a tenth of start-up)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from mockserver import precomputed

TABLE = Path(__file__).with_name("names.json")
#: The tables themselves live in this file of Faker's.
FAKER = precomputed.Witness("faker", "providers/person/en_US/__init__.py")


def from_faker() -> dict[str, list[tuple[str, float]]]:
    """``{"first": [(name, weight)...], "last": [...]}`` as Faker holds them (female first)."""
    from faker.providers.person.en_US import Provider as Names

    first = [*Names.first_names_female.items(), *Names.first_names_male.items()]
    return {"first": first, "last": list(Names.last_names.items())}


@functools.cache
def tables() -> dict[str, list[Any]]:
    return precomputed.load(TABLE, FAKER) or from_faker()


def write() -> None:
    precomputed.dump(TABLE, FAKER, from_faker())
