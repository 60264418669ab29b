"""Generate the contacts of a SendGrid world from the seed: plausible and consistent.

Names have real-world frequencies, places (city, state, postal code, area code) belong
together, emails come from the names. The world is columnar and its draws vectorized with
NumPy: 200,000 contacts are a few seconds of string building, not of dice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import orjson

from mockserver.budget import checkpoint
from mockserver.vendors.sendgrid.draws import Draw, generator, objects, pick, scatter
from mockserver.vendors.sendgrid.emails import (
    FIRST_NAMES,
    LAST_NAMES,
    all_domains_json,
    draw_emails,
)
from mockserver.vendors.sendgrid.fixtures import CustomField, Rule, WorldSpec
from mockserver.vendors.sendgrid.store import CONTACT_COLUMNS, ID_FIELDS
from mockserver.vendors.sendgrid.values import DAY, iso_seconds, stable_uuids

PHONE_SHARE = 0.55
UNIT_SHARE = 0.3
EXTERNAL_ID_SHARE = 0.4
ANONYMOUS_ID_SHARE = 0.15
STREET_NAMES = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Park", "Lake", "Hill", "Washington",
    "Lincoln", "Jefferson", "Madison", "Franklin", "Highland", "Sunset", "Ridge", "Church",
    "Mill", "River", "Spring", "Valley", "Forest", "Meadow", "Willow", "Walnut", "Chestnut",
    "Broad", "Market", "Union", "Center", "Grant", "Jackson", "Adams", "Cherry", "Magnolia",
)  # fmt: skip
STREET_KINDS = ("Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Way", "Court", "Place")

UNIT_KINDS = ("Apt.", "Suite", "Unit")
#: ``contact_data`` columns no generated contact has a value in (no NULL bound for them).
EMPTY_COLUMNS = frozenset({"whatsapp", "line", "facebook", "unique_name"})


@dataclass
class Contacts:
    """The contacts of a world, one column per field; contact ``i`` is row ``i`` of each."""

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
    created_at: np.ndarray  # int64 Unix seconds
    updated_at: np.ndarray  # int64 Unix seconds
    custom: dict[str, list[Any]]
    custom_fields: tuple[CustomField, ...]
    list_ids: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def id_columns(self) -> tuple[list[str | None], ...]:
        """The columns of ``ID_FIELDS``."""
        return self.phone_number_ids, self.external_ids, self.anonymous_ids

    @property
    def row_columns(self) -> tuple[str, ...]:
        """The ``contact_data`` columns generated contacts fill, in order."""
        reserved = tuple(name for name, _ in CONTACT_COLUMNS if name not in EMPTY_COLUMNS)
        return reserved + tuple(f.name for f in self.custom_fields)

    def rows(self, columns: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """``contact_data`` rows of ``columns`` (default ``row_columns``): arrays as JSON text
        (addresses are ``[a-z0-9._@]`` only: spelled without a serializer), times as Unix
        seconds, ``list_ids`` as assigned so far (``[]`` before)."""
        n = len(self)
        custom = self.custom
        values: dict[str, Callable[[], Iterable[Any]]] = {
            "contact_id": lambda: self.ids,
            "email": lambda: self.emails,
            "phone_number_id": lambda: self.phone_number_ids,
            "external_id": lambda: self.external_ids,
            "anonymous_id": lambda: self.anonymous_ids,
            "first_name": lambda: self.first_names,
            "last_name": lambda: self.last_names,
            "alternate_emails": lambda: map(_json_strings, self.alternate_emails),
            "address_line_1": lambda: self.address_line_1,
            "address_line_2": lambda: self.address_line_2,
            "city": lambda: self.cities,
            "state_province_region": lambda: self.states,
            "postal_code": lambda: map(_postal_texts(self.postal_codes).get, self.postal_codes),
            "country": lambda: self.countries,
            "list_ids": lambda: self.list_ids_json("[]"),
            "created_at": lambda: _ints(self.created_at),
            "updated_at": lambda: _ints(self.updated_at),
            "email_domains": lambda: all_domains_json(self.emails, self.alternate_emails),
            "phone_number": lambda: self.phone_number_ids,
            **{name: (lambda: repeat(None, n)) for name in EMPTY_COLUMNS},
            **{f.name: (lambda name=f.name: custom[name]) for f in self.custom_fields},
        }
        chosen = self.row_columns if columns is None else columns
        return zip(*(values[name]() for name in chosen), strict=True)

    def list_ids_json(self, empty: str | None = None) -> list[str | None]:
        """Each contact's ``list_ids`` as JSON text (``empty`` for a contact in no list, and
        for every contact before lists are assigned); one text per combination of lists."""
        if not self.list_ids:
            return [empty] * len(self)
        texts = {ids: orjson.dumps(ids).decode() if ids else empty for ids in set(self.list_ids)}
        return [texts[ids] for ids in self.list_ids]

    def as_json(self, i: int, segment_ids: list[str]) -> dict[str, Any]:
        """Contact ``i`` as the API shows it (``contact_response``)."""
        body: dict[str, Any] = {"id": self.ids[i], "email": self.emails[i]}
        for name, column in zip(ID_FIELDS, self.id_columns, strict=True):
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


def _json_strings(values: tuple[str, ...]) -> str:
    """JSON text of strings that need no escaping."""
    return '["' + '","'.join(values) + '"]' if values else "[]"


def _ints(values: np.ndarray, chunk: int = 1 << 16) -> Iterator[int]:
    """The values as Python ints, a chunk at a time (not a list of a million at once)."""
    return chain.from_iterable(values[i : i + chunk].tolist() for i in range(0, len(values), chunk))


def _postal_texts(codes: list[int]) -> dict[int, str]:
    """Each postal code's text (a few hundred codes for a million contacts)."""
    return {code: str(code) for code in set(codes)}


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
            values = gen.integers(int(low), int(high) + 1, n).tolist()
        else:
            values = np.round(gen.uniform(low, high, n), 2).tolist()
    else:
        earliest = np.minimum(np.maximum(created, now - (rule.within_days or 0) * DAY), now)
        values = (earliest + (gen.random(n) * (now - earliest + 1)).astype(np.int64)).tolist()
    if rule.missing:
        absent = np.flatnonzero(gen.random(n) < rule.missing)
        column = objects(values)
        column[absent] = None
        values = column.tolist()
    return values


def _custom(spec: WorldSpec, gen: np.random.Generator, created: np.ndarray) -> dict[str, list]:
    """Every custom field, in order; a ``by`` field's case is chosen by the earlier field."""
    columns: dict[str, list[Any]] = {}
    n = len(created)
    for custom in spec.custom_fields:
        if custom.by is None:
            columns[custom.name] = _custom_column(custom, custom.cases[""], gen, created, spec.now)
            continue
        column = np.full(n, None, object)
        parent_values = objects(columns[custom.by])
        for case, rule in custom.cases.items():
            rows = np.flatnonzero(parent_values == case)
            column[rows] = objects(_custom_column(custom, rule, gen, created[rows], spec.now))
        columns[custom.name] = column.tolist()
    return columns


def generate_contacts(spec: WorldSpec, seed: int, count: int) -> Contacts:
    """``count`` contacts of the world; the same seed and count give the same contacts."""
    gen = generator(seed, "contacts")
    n, now = count, spec.now
    first, last = FIRST_NAMES.indexes(gen, n), LAST_NAMES.indexes(gen, n)
    place = Draw([(p, p.weight) for p in spec.places]).indexes(gen, n)
    checkpoint()
    emails, alternates = draw_emails(gen, first, last)
    checkpoint()
    created = now - gen.integers(0, spec.history_days * DAY, n)
    updated = created + (gen.random(n) * (now - created)).astype(np.int64)
    postal_u, area_u = gen.random(n), gen.random(n)
    phones = gen.random(n) < PHONE_SHARE
    phone_tail = gen.integers(100, 200, n)
    units = np.flatnonzero(gen.random(n) < UNIT_SHARE)
    unit_kind = gen.integers(0, len(UNIT_KINDS), n)[units].tolist()
    unit_no = gen.integers(10, 410, n)[units].tolist()
    street_no = gen.integers(1, 9900, n).tolist()
    street = gen.integers(0, len(STREET_NAMES), n)
    kind = gen.integers(0, len(STREET_KINDS), n)
    external = np.flatnonzero(gen.random(n) < EXTERNAL_ID_SHARE)
    anonymous = gen.random(n) < ANONYMOUS_ID_SHARE
    anonymous_bits = gen.integers(0, 2**63, n)[anonymous].tolist()

    places = spec.places
    postal_sizes = np.array([len(p.postal_codes) for p in places], np.int64)[place]
    postal_first = np.cumsum([0] + [len(p.postal_codes) for p in places])[:-1][place]
    all_postal = [code for p in places for code in p.postal_codes]
    area_sizes = np.array([len(p.area_codes) for p in places], np.int64)[place]
    area_first = np.cumsum([0] + [len(p.area_codes) for p in places])[:-1][place]
    all_areas = [code for p in places for code in p.area_codes] or [0]
    with_phone = np.flatnonzero(phones & (area_sizes > 0))
    area = pick(all_areas, (area_first + (area_u * area_sizes).astype(np.int64))[with_phone])
    streets = [f"{name} {kind_}" for name in STREET_NAMES for kind_ in STREET_KINDS]
    street_of = pick(streets, street * len(STREET_KINDS) + kind)
    return Contacts(
        ids=stable_uuids(seed, "contact", map(str, range(n))),
        emails=emails,
        first_names=pick(FIRST_NAMES.values, first),
        last_names=pick(LAST_NAMES.values, last),
        alternate_emails=alternates,
        address_line_1=[f"{a} {b}" for a, b in zip(street_no, street_of, strict=True)],
        address_line_2=scatter(
            n,
            units,
            [f"{UNIT_KINDS[a]} {b}" for a, b in zip(unit_kind, unit_no, strict=True)],
            "",
        ),
        cities=pick([p.city for p in places], place),
        states=pick([p.state for p in places], place),
        postal_codes=pick(all_postal, postal_first + (postal_u * postal_sizes).astype(np.int64)),
        countries=pick([p.country for p in places], place),
        phone_number_ids=scatter(
            n,
            with_phone,
            [f"+1{a}5550{t}" for a, t in zip(area, phone_tail[with_phone].tolist(), strict=True)],
        ),
        external_ids=scatter(n, external, [f"CRM-{100001 + i}" for i in external.tolist()]),
        anonymous_ids=scatter(
            n, np.flatnonzero(anonymous), [f"anon-{bits:016x}" for bits in anonymous_bits]
        ),
        created_at=created,
        updated_at=updated,
        custom=_custom(spec, gen, created),
        custom_fields=spec.custom_fields,
    )


def assign_lists(
    spec: WorldSpec, seed: int, contacts: Contacts, eligible: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Members (ascending contact indexes) of each list: ``share`` of the contacts its rule
    admits. Sets ``contacts.list_ids`` to match, so a contact's lists and the lists' members
    agree (one shared tuple per combination of lists)."""
    n = len(contacts)
    members: dict[str, np.ndarray] = {}
    combination = np.zeros(n, np.int64)
    for bit, item in enumerate(spec.lists):
        pool = eligible[item.key] if item.key in eligible else np.arange(n, dtype=np.int64)
        if item.share < 1:
            pool = pool[generator(seed, f"list:{item.key}").random(len(pool)) < item.share]
        members[item.id] = pool
        combination[pool] |= 1 << bit
    codes, inverse = np.unique(combination, return_inverse=True)
    tuples = np.empty(len(codes), object)
    for k, code in enumerate(codes.tolist()):  # a tuple per element, not a 2-D array
        tuples[k] = tuple(item.id for bit, item in enumerate(spec.lists) if code >> bit & 1)
    contacts.list_ids = tuples[inverse.reshape(-1)].tolist()
    return members
