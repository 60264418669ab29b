"""Plausible values by property name: an ``email`` looks like an email, a ``city`` like a city."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker


Hint = Callable[["Faker"], Any]

#: Generated timestamps lie in the three years before this instant, never relative to
#: the wall clock: the same seed must give the same bytes tomorrow too.
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
HISTORY = timedelta(days=3 * 365)

#: (pattern over the property name, JSON type, value maker), first match wins.
NAME_HINTS: tuple[tuple[re.Pattern[str], str, Hint], ...] = tuple(
    (re.compile(pattern), kind, make)
    for pattern, kind, make in (
        (r"(^|_)e?mails?$|^alternate_emails$", "string", lambda f: f.email()),
        (r"^first_?name$", "string", lambda f: f.first_name()),
        (r"^last_?name$", "string", lambda f: f.last_name()),
        (r"^(full_?)?name$", "string", lambda f: f.catch_phrase()),
        (r"^city$", "string", lambda f: f.city()),
        (r"^(state|state_province_region|region|province)$", "string", lambda f: f.state_abbr()),
        (r"^(postal_code|zip|zip_code|postcode)$", "integer", lambda f: int(f.postcode()[:5])),
        (r"^(postal_code|zip|zip_code|postcode)$", "string", lambda f: f.postcode()),
        (r"^country$", "string", lambda f: f.current_country_code()),
        (r"^address_line_1$|^street", "string", lambda f: f.street_address()),
        (r"^address_line_2$", "string", lambda f: f.secondary_address()),
        (r"phone", "string", lambda f: f.phone_number()),
        (r"^(url|website|homepage)$", "string", lambda f: f.url()),
        (r"^(external_id|anonymous_id)$", "string", lambda f: f.bothify("??-########").lower()),
        (r"^(msg|message|description)$", "string", lambda f: f.sentence()),
        (r"(_|^)count$|^total$", "integer", lambda f: f.random_int(0, 5000)),
        (r"^(strength|weight|min_weight|score)$", "number", lambda f: round(f.random.random(), 4)),
        (r"^(query_dsl|query)$", "string", lambda f: _query(f)),
    )
)


def _query(fake: Faker) -> str:
    state = fake.state_abbr()
    return (
        f"SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = '{state}'"
    )


#: Values by ``format`` when the name gave no hint.
FORMAT_HINTS: dict[str, Hint] = {
    "uuid": lambda f: str(f.uuid4()),
    "date-time": lambda f: _timestamp(f),
    "date": lambda f: _moment(f).date().isoformat(),
    "email": lambda f: f.email(),
    "uri": lambda f: f.url(),
    "ipv4": lambda f: f.ipv4(),
}


def _moment(fake: Faker) -> datetime:
    return fake.date_time_between(EPOCH - HISTORY, EPOCH, tzinfo=timezone.utc)


def _timestamp(fake: Faker) -> str:
    moment = _moment(fake)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hint_for(name: str | None, kind: str, schema: dict[str, Any]) -> Hint | None:
    if name:
        for pattern, hint_kind, make in NAME_HINTS:
            if hint_kind == kind and pattern.search(name):
                return make
    if kind == "string" and schema.get("format") in FORMAT_HINTS:
        return FORMAT_HINTS[schema["format"]]
    return None
