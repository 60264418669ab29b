"""Generate the contacts of a SendGrid world from the seed: plausible and consistent.

Names are drawn with real-world frequencies (Faker's en_US tables), addresses from the
fixture's places (city, state, postal code and area code that belong together), emails
from the names, custom fields from the fixture's rules, and email engagement (opens,
clicks) from a per-contact open rate over the campaigns the world has sent.

The world is columnar (one list per field) and its random draws are vectorized with
numpy: 200,000 contacts are a few seconds of string building, not of dice. Generators
are seeded from SHA-256 of (seed, purpose), so the same seed gives the same world in
any process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import Any

import numpy as np
import orjson
from faker.providers.person.en_US import Provider as Names

from mockserver.budget import checkpoint
from mockserver.vendors.sendgrid.fixtures import CustomField, Rule, WorldSpec
from mockserver.vendors.sendgrid.values import DAY, iso_seconds, stable_uuid

FREE_MAIL = (
    ("gmail.com", 38),
    ("yahoo.com", 12),
    ("outlook.com", 10),
    ("hotmail.com", 7),
    ("icloud.com", 8),
    ("aol.com", 3),
    ("proton.me", 2),
)
#: Share of contacts whose primary email is at their employer's domain.
WORK_EMAIL = 0.2
PHONE_SHARE = 0.55
UNIT_SHARE = 0.3
EXTERNAL_ID_SHARE = 0.4
ANONYMOUS_ID_SHARE = 0.15
#: How many alternate emails a contact has, by weight.
ALTERNATES = ((0, 60), (1, 30), (2, 10))
COMPANY_SUFFIXES = ("group", "labs", "partners", "co", "media", "systems", "studio", "works")
STREET_NAMES = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Park", "Lake", "Hill", "Washington",
    "Lincoln", "Jefferson", "Madison", "Franklin", "Highland", "Sunset", "Ridge", "Church",
    "Mill", "River", "Spring", "Valley", "Forest", "Meadow", "Willow", "Walnut", "Chestnut",
    "Broad", "Market", "Union", "Center", "Grant", "Jackson", "Adams", "Cherry", "Magnolia",
)  # fmt: skip
STREET_KINDS = ("Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Way", "Court", "Place")
UNIT_KINDS = ("Apt.", "Suite", "Unit")
_NOT_LETTER = re.compile(r"[^a-z]")
#: Rows between two checks of a data load's time budget (mockserver.budget).
CHECK_EVERY = 4096


def generator(seed: int, purpose: str) -> np.random.Generator:
    digest = hashlib.sha256(f"sendgrid\x1f{seed}\x1f{purpose}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


class Draw:
    """Weighted choices over precomputed cumulative weights, many at a time."""

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        self.values = [value for value, _ in items]
        self.cum = np.fromiter(accumulate(float(w) for _, w in items), dtype=float)

    def indexes(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.cum, gen.random(n) * self.cum[-1], side="right")

    def many(self, gen: np.random.Generator, n: int) -> list[Any]:
        values = self.values
        return [values[i] for i in self.indexes(gen, n).tolist()]


FIRST_NAMES = Draw([*Names.first_names_female.items(), *Names.first_names_male.items()])
LAST_NAMES = Draw(list(Names.last_names.items()))
MAIL_DOMAINS = Draw(FREE_MAIL)
#: Name -> the letters an email address spells it with (computed once per name, not per use).
SLUGS = {
    name: _NOT_LETTER.sub("", name.lower()) or "x"
    for name in (*FIRST_NAMES.values, *LAST_NAMES.values)
}


def uniform_ints(gen: np.random.Generator, low: int, high: int, n: int) -> list[int]:
    """``n`` integers in ``[low, high]``, as Python ints."""
    return gen.integers(low, high + 1, n).tolist()


@dataclass
class Contacts:
    """The contacts of a world, one list per field; contact ``i`` is row ``i`` of each."""

    ids: list[str]
    emails: list[str]
    first_names: list[str]
    last_names: list[str]
    alternate_emails: list[tuple[str, ...]]
    address_line_1: list[str]
    address_line_2: list[str]
    cities: list[str]
    states: list[str]
    postal_codes: list[int]
    countries: list[str]
    phone_number_ids: list[str | None]
    external_ids: list[str | None]
    anonymous_ids: list[str | None]
    created_at: list[int]
    updated_at: list[int]
    custom: dict[str, list[Any]]
    custom_fields: tuple[CustomField, ...]
    list_ids: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def email_domains(self, i: int) -> list[str]:
        addresses = (self.emails[i], *self.alternate_emails[i])
        return list(dict.fromkeys(a.rsplit("@", 1)[1] for a in addresses))

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """``contact_data`` rows (arrays as JSON text, times as Unix seconds); lists come later."""
        dumps = orjson.dumps
        n = len(self)
        alternates = (dumps(a).decode() for a in self.alternate_emails)
        domains = (dumps(self.email_domains(i)).decode() for i in range(n))
        customs = [self.custom[f.name] for f in self.custom_fields]
        return zip(
            self.ids, self.emails, self.phone_number_ids, self.external_ids, self.anonymous_ids,
            self.first_names, self.last_names, alternates, self.address_line_1,
            self.address_line_2, self.cities, self.states, map(str, self.postal_codes),
            self.countries, repeat("[]", n), self.created_at, self.updated_at, domains,
            self.phone_number_ids, repeat(None, n), repeat(None, n), repeat(None, n),
            repeat(None, n), *customs, strict=True,
        )  # fmt: skip

    def as_json(self, i: int, segment_ids: list[str]) -> dict[str, Any]:
        """Contact ``i`` as the API shows it (``contact_response``)."""
        body: dict[str, Any] = {"id": self.ids[i], "email": self.emails[i]}
        for name, column in (
            ("phone_number_id", self.phone_number_ids),
            ("external_id", self.external_ids),
            ("anonymous_id", self.anonymous_ids),
        ):
            if column[i] is not None:
                body[name] = column[i]
        custom = {}
        for spec in self.custom_fields:
            value = self.custom[spec.name][i]
            if value is not None:
                custom[spec.name] = iso_seconds(value) if spec.type == "date" else value
        body.update(
            alternate_emails=list(self.alternate_emails[i]),
            first_name=self.first_names[i],
            last_name=self.last_names[i],
            address_line_1=self.address_line_1[i],
            address_line_2=self.address_line_2[i],
            city=self.cities[i],
            state_province_region=self.states[i],
            postal_code=self.postal_codes[i],
            country=self.countries[i],
            list_ids=list(self.list_ids[i]) if self.list_ids else [],
            segment_ids=segment_ids,
            custom_fields=custom,
        )
        return body


def local_part(f: str, ln: str, pattern: int, number: float) -> str:
    """One of the ways people spell their name (slugs ``f``, ``ln``) in an address;
    ``number`` is in [0, 1)."""
    if pattern == 0:
        return f"{f}.{ln}"
    if pattern == 1:
        return f"{f}{ln}"
    if pattern == 2:
        return f"{f[0]}{ln}"
    if pattern == 3:
        return f"{f}.{ln}{1 + int(number * 99)}"
    if pattern == 4:
        return f"{f}_{ln}{60 + int(number * 40)}"
    return f"{f}{ln[0]}{1 + int(number * 999)}"


class EmailBook:
    """Hands out email addresses, never the same one twice in a world."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, local: str, domain: str) -> str:
        address = f"{local}@{domain}"
        serial = 1
        while address in self.taken:
            serial += 1
            address = f"{local}{serial}@{domain}"
        self.taken.add(address)
        return address


def _emails(gen: np.random.Generator, first: list[str], last: list[str]) -> tuple[list, list]:
    """Primary and alternate emails: names at free-mail providers or the employer's domain."""
    n = len(first)
    patterns = gen.integers(0, 6, (n, 3)).tolist()
    numbers = gen.random((n, 3)).tolist()
    domains = MAIL_DOMAINS.indexes(gen, n * 2).reshape(n, 2).tolist()
    work = (gen.random(n) < WORK_EMAIL).tolist()
    suffixes = gen.integers(0, len(COMPANY_SUFFIXES), n).tolist()
    counts = Draw(ALTERNATES).many(gen, n)
    free = MAIL_DOMAINS.values
    book = EmailBook()
    emails, alternates = [], []
    for i in range(n):
        if not i % CHECK_EVERY:
            checkpoint()
        f, ln = SLUGS[first[i]], SLUGS[last[i]]
        company = f"{ln}{COMPANY_SUFFIXES[suffixes[i]]}.com"
        pattern, number = patterns[i], numbers[i]
        primary = company if work[i] else free[domains[i][0]]
        emails.append(book.claim(local_part(f, ln, pattern[0], number[0]), primary))
        others = []
        for k in range(counts[i]):
            domain = company if k == 0 and not work[i] else free[domains[i][1]]
            local = local_part(f, ln, pattern[k + 1], number[k + 1])
            others.append(book.claim(local, domain))
        alternates.append(tuple(others))
    return emails, alternates


def _custom_column(
    spec: CustomField, rule: Rule, gen: np.random.Generator, created: np.ndarray, now: int
) -> list[Any]:
    """Values of one custom field for the contacts whose ``created_at`` is given."""
    n = len(created)
    if spec.type == "text":
        values = Draw(rule.values).many(gen, n) if rule.values else [None] * n
    elif spec.type == "number":
        low, high = rule.range or (0, 0)
        if float(low).is_integer() and float(high).is_integer():
            values = uniform_ints(gen, int(low), int(high), n)
        else:
            values = np.round(gen.uniform(low, high, n), 2).tolist()
    else:
        earliest = np.minimum(np.maximum(created, now - (rule.within_days or 0) * DAY), now)
        values = (earliest + (gen.random(n) * (now - earliest + 1)).astype(np.int64)).tolist()
    if rule.missing:
        absent = (gen.random(n) < rule.missing).tolist()
        values = [None if gone else v for v, gone in zip(values, absent, strict=True)]
    return values


def _custom(spec: WorldSpec, gen: np.random.Generator, created: np.ndarray) -> dict[str, list]:
    """Every custom field, in order; a ``by`` field's case is chosen by the earlier field."""
    columns: dict[str, list[Any]] = {}
    n = len(created)
    for custom in spec.custom_fields:
        if custom.by is None:
            columns[custom.name] = _custom_column(custom, custom.cases[""], gen, created, spec.now)
            continue
        column: list[Any] = [None] * n
        parent_values = np.asarray(columns[custom.by], dtype=object)
        for case, rule in custom.cases.items():
            rows = np.flatnonzero(parent_values == case)
            drawn = _custom_column(custom, rule, gen, created[rows], spec.now)
            for i, value in zip(rows.tolist(), drawn, strict=True):
                column[i] = value
        columns[custom.name] = column
    return columns


def generate_contacts(spec: WorldSpec, seed: int, count: int) -> Contacts:
    """``count`` contacts of the world; the same seed and count give the same contacts."""
    gen = generator(seed, "contacts")
    n, now = count, spec.now
    first, last = FIRST_NAMES.many(gen, n), LAST_NAMES.many(gen, n)
    places = [spec.places[i] for i in Draw([(p, p.weight) for p in spec.places]).indexes(gen, n)]
    checkpoint()
    emails, alternates = _emails(gen, first, last)
    created = now - gen.integers(0, spec.history_days * DAY, n)
    updated = created + (gen.random(n) * (now - created)).astype(np.int64)
    postal_u, area_u = gen.random(n).tolist(), gen.random(n).tolist()
    phones = (gen.random(n) < PHONE_SHARE).tolist()
    phone_tail = uniform_ints(gen, 100, 199, n)
    units = (gen.random(n) < UNIT_SHARE).tolist()
    unit_kind = uniform_ints(gen, 0, len(UNIT_KINDS) - 1, n)
    unit_no = uniform_ints(gen, 10, 409, n)
    street_no = uniform_ints(gen, 1, 9899, n)
    street = uniform_ints(gen, 0, len(STREET_NAMES) - 1, n)
    kind = uniform_ints(gen, 0, len(STREET_KINDS) - 1, n)
    external = (gen.random(n) < EXTERNAL_ID_SHARE).tolist()
    anonymous = (gen.random(n) < ANONYMOUS_ID_SHARE).tolist()
    anonymous_bits = gen.integers(0, 2**63, n).tolist()

    checkpoint()
    phone_ids: list[str | None] = []
    for i, place in enumerate(places):
        if phones[i] and place.area_codes:
            area = place.area_codes[int(area_u[i] * len(place.area_codes))]
            phone_ids.append(f"+1{area}5550{phone_tail[i]}")
        else:
            phone_ids.append(None)
    checkpoint()
    return Contacts(
        ids=[stable_uuid(seed, "contact", str(i)) for i in range(n)],
        emails=emails,
        first_names=first,
        last_names=last,
        alternate_emails=alternates,
        address_line_1=[
            f"{street_no[i]} {STREET_NAMES[street[i]]} {STREET_KINDS[kind[i]]}" for i in range(n)
        ],
        address_line_2=[
            f"{UNIT_KINDS[unit_kind[i]]} {unit_no[i]}" if units[i] else "" for i in range(n)
        ],
        cities=[p.city for p in places],
        states=[p.state for p in places],
        postal_codes=[
            p.postal_codes[int(u * len(p.postal_codes))]
            for p, u in zip(places, postal_u, strict=True)
        ],
        countries=[p.country for p in places],
        phone_number_ids=phone_ids,
        external_ids=[f"CRM-{100001 + i}" if external[i] else None for i in range(n)],
        anonymous_ids=[
            f"anon-{bits:016x}" if chosen else None
            for chosen, bits in zip(anonymous, anonymous_bits, strict=True)
        ],
        created_at=created.tolist(),
        updated_at=updated.tolist(),
        custom=_custom(spec, gen, created),
        custom_fields=spec.custom_fields,
    )


def campaign_times(spec: WorldSpec) -> list[int]:
    """When the world's campaigns went out: every ``every_days`` back from "now", at 15:00."""
    engagement = spec.engagement
    last_send = spec.now - spec.now % DAY + 15 * 3600
    if last_send > spec.now:
        last_send -= DAY
    return [last_send - k * engagement.every_days * DAY for k in range(engagement.campaigns)]


def generate_events(spec: WorldSpec, seed: int, contacts: Contacts) -> Iterator[tuple]:
    """``(contact_id, source, type, timestamp)`` opens and clicks of every campaign.

    Each contact has its own open rate (a Beta draw around the fixture's mean); a
    contact only receives the campaigns sent after it was created.
    """
    gen = generator(seed, "events")
    engagement, now, n = spec.engagement, spec.now, len(contacts)
    beta = 2.0 * (1 - engagement.open_rate) / engagement.open_rate
    rate = gen.beta(2.0, beta, n)
    created = np.asarray(contacts.created_at, dtype=np.int64)
    ids = contacts.ids
    for sent in sorted(campaign_times(spec)):
        checkpoint()
        opened = np.flatnonzero((created <= sent) & (gen.random(n) < rate))
        opened_at = np.minimum(now, sent + gen.exponential(7200.0, len(opened)).astype(np.int64))
        clicked = gen.random(len(opened)) < engagement.click_rate
        clicked_at = np.minimum(now, opened_at[clicked] + gen.integers(5, 901, int(clicked.sum())))
        yield from zip([ids[i] for i in opened.tolist()], repeat("mail"), repeat("opened"),
                       opened_at.tolist())  # fmt: skip
        yield from zip([ids[i] for i in opened[clicked].tolist()], repeat("mail"),
                       repeat("clicked"), clicked_at.tolist())  # fmt: skip


def assign_lists(
    spec: WorldSpec, seed: int, contacts: Contacts, eligible: dict[str, list[int]]
) -> dict[str, list[int]]:
    """Members (contact indexes) of each list: ``share`` of the contacts its rule admits.

    Sets ``contacts.list_ids`` to match, so a contact's lists and the lists' members agree.
    """
    n = len(contacts)
    members: dict[str, list[int]] = {}
    for item in spec.lists:
        checkpoint()
        pool = np.asarray(eligible.get(item.key, range(n)), dtype=np.int64)
        if item.share < 1:
            pool = pool[generator(seed, f"list:{item.key}").random(len(pool)) < item.share]
        members[item.id] = pool.tolist()
    by_contact: list[list[str]] = [[] for _ in range(n)]
    for list_id, indexes in members.items():
        checkpoint()
        for i in indexes:
            by_contact[i].append(list_id)
    contacts.list_ids = [tuple(ids) for ids in by_contact]
    return members
