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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, repeat
from typing import Any

import numpy as np
import orjson

from mockserver.vendors.sendgrid import names
from mockserver.vendors.sendgrid.fixtures import CustomField, Rule, WorldSpec
from mockserver.vendors.sendgrid.store import CONTACT_COLUMNS
from mockserver.vendors.sendgrid.values import DAY, iso_seconds, stable_uuids

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
#: ``contact_data`` columns no generated contact has a value in (no NULL bound for them).
EMPTY_COLUMNS = frozenset({"whatsapp", "line", "facebook", "unique_name"})


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


FIRST_NAMES = Draw(names.tables()["first"])
LAST_NAMES = Draw(names.tables()["last"])
MAIL_DOMAINS = Draw(FREE_MAIL)
#: Name -> the letters an email address spells it with (computed once per name, not per use).
SLUGS = {
    name: _NOT_LETTER.sub("", name.lower()) or "x"
    for name in (*FIRST_NAMES.values, *LAST_NAMES.values)
}
FIRST_SLUGS = [SLUGS[name] for name in FIRST_NAMES.values]
LAST_SLUGS = [SLUGS[name] for name in LAST_NAMES.values]


def uniform_ints(gen: np.random.Generator, low: int, high: int, n: int) -> list[int]:
    """``n`` integers in ``[low, high]``, as Python ints."""
    return gen.integers(low, high + 1, n).tolist()


def pick(values: Sequence[Any], indexes: np.ndarray) -> list[Any]:
    """``[values[i] for i in indexes]``, gathered by NumPy (``values``: scalars or strings)."""
    table = np.empty(len(values), object)
    table[:] = values
    return table[indexes].tolist()


def scatter(n: int, indexes: np.ndarray, values: Sequence[Any], default: Any = None) -> list[Any]:
    """A list of ``n`` ``default`` with ``values`` at ``indexes``."""
    column = np.full(n, default, object)
    chosen = np.empty(len(values), object)
    chosen[:] = values
    column[indexes] = chosen
    return column.tolist()


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

    def email_domains(self, i: int) -> list[str]:
        addresses = (self.emails[i], *self.alternate_emails[i])
        return list(dict.fromkeys(a.rsplit("@", 1)[1] for a in addresses))

    @property
    def row_columns(self) -> tuple[str, ...]:
        """The ``contact_data`` columns generated contacts fill, in order (the others stay
        NULL)."""
        reserved = tuple(name for name, _ in CONTACT_COLUMNS if name not in EMPTY_COLUMNS)
        return reserved + tuple(f.name for f in self.custom_fields)

    def rows(self, columns: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """``contact_data`` rows of ``columns`` (default ``row_columns``): arrays as JSON text,
        times as Unix seconds, ``list_ids`` as assigned so far (``[]`` before).

        Addresses are made of ``[a-z0-9._@]`` only, so their JSON is spelled without a
        serializer (the same text orjson writes).
        """
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
            "email_domains": lambda: _all_domains_json(self.emails, self.alternate_emails),
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


def _ints(values: np.ndarray, chunk: int = 1 << 16) -> Iterator[int]:
    """The values as Python ints, a chunk at a time (not a list of a million at once)."""
    return chain.from_iterable(values[i : i + chunk].tolist() for i in range(0, len(values), chunk))


def _postal_texts(codes: list[int]) -> dict[int, str]:
    """Each postal code's text (a few hundred codes for a million contacts)."""
    return {code: str(code) for code in set(codes)}


def _json_strings(values: tuple[str, ...]) -> str:
    """JSON text of strings that need no escaping."""
    return '["' + '","'.join(values) + '"]' if values else "[]"


def _domains_json(email: str, alternates: tuple[str, ...]) -> str:
    """JSON text of a contact's email domains, in order, each once."""
    domains = [email[email.index("@") + 1 :]]
    for address in alternates:
        domain = address[address.index("@") + 1 :]
        if domain not in domains:
            domains.append(domain)
    return '["' + '","'.join(domains) + '"]'


def _all_domains_json(emails: list[str], alternates: list[tuple[str, ...]]) -> Iterator[str]:
    """``_domains_json`` of every contact (most have one address: spelled inline)."""
    return (
        _domains_json(email, others) if others else '["' + email[email.index("@") + 1 :] + '"]'
        for email, others in zip(emails, alternates, strict=True)
    )


#: Per local-part pattern, the number ``k`` it ends with: ``offset + int(number * scale)``.
LOCAL_NUMBERS = ((0, 0), (0, 0), (0, 0), (99, 1), (40, 60), (999, 1))


def local_parts(f: list[str], ln: list[str], pattern: np.ndarray, number: np.ndarray) -> list:
    """The ways people spell their name (slugs ``f``, ``ln``) in an address, one per row, by
    ``pattern`` (0-5); ``number`` in [0, 1) makes the digits some patterns end with."""
    out: list[str] = [""] * len(f)
    for kind, (scale, offset) in enumerate(LOCAL_NUMBERS):
        rows = np.flatnonzero(pattern == kind)
        k = (offset + (number[rows] * scale).astype(np.int64)).tolist()
        fs, ls = pick(f, rows), pick(ln, rows)
        if kind == 0:
            made = [f"{a}.{b}" for a, b in zip(fs, ls, strict=True)]
        elif kind == 1:
            made = [f"{a}{b}" for a, b in zip(fs, ls, strict=True)]
        elif kind == 2:
            made = [f"{a[0]}{b}" for a, b in zip(fs, ls, strict=True)]
        elif kind == 3:
            made = [f"{a}.{b}{c}" for a, b, c in zip(fs, ls, k, strict=True)]
        elif kind == 4:
            made = [f"{a}_{b}{c}" for a, b, c in zip(fs, ls, k, strict=True)]
        else:
            made = [f"{a}{b[0]}{c}" for a, b, c in zip(fs, ls, k, strict=True)]
        for i, text in zip(rows.tolist(), made, strict=True):
            out[i] = text
    return out


def claim_all(candidates: list[str]) -> list[str]:
    """Hand out the addresses in order, never one twice: a taken ``local@domain`` becomes
    ``local2@domain``, ``local3@domain``, ... (the first free one)."""
    taken: set[str] = set()
    claimed = []
    for address in candidates:
        if address in taken:
            local, _, domain = address.rpartition("@")
            serial = 2
            address = f"{local}{serial}@{domain}"
            while address in taken:
                serial += 1
                address = f"{local}{serial}@{domain}"
        taken.add(address)
        claimed.append(address)
    return claimed


def _emails(
    gen: np.random.Generator, first: np.ndarray, last: np.ndarray
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Primary and alternate emails: names at free-mail providers or the employer's domain.

    Claimed in contact order (a contact's primary, then its alternates): the first to want an
    address gets it.
    """
    n = len(first)
    patterns = gen.integers(0, 6, (n, 3))
    numbers = gen.random((n, 3))
    domains = MAIL_DOMAINS.indexes(gen, n * 2).reshape(n, 2)
    work = gen.random(n) < WORK_EMAIL
    suffixes = gen.integers(0, len(COMPANY_SUFFIXES), n)
    counts = np.asarray(Draw(ALTERNATES).values)[Draw(ALTERNATES).indexes(gen, n)]
    f, ln = pick(FIRST_SLUGS, first), pick(LAST_SLUGS, last)
    free = MAIL_DOMAINS.values
    # Slot 0 is the primary address; slot k > 0 the k-th alternate.
    slots = 1 + counts
    start = np.cumsum(slots) - slots
    candidates = np.empty(int(slots.sum()), object)
    for slot in range(3):
        rows = np.flatnonzero(slots > slot)
        if slot == 0:
            company = work[rows]
            free_domain = domains[rows, 0]
        else:
            company = ~work[rows] if slot == 1 else np.zeros(len(rows), bool)
            free_domain = domains[rows, 1]
        fs, ls = pick(f, rows), pick(ln, rows)
        locals_ = local_parts(fs, ls, patterns[rows, slot], numbers[rows, slot])
        suffix = pick(COMPANY_SUFFIXES, suffixes[rows])
        domain = pick(free, free_domain)
        at = [
            f"{local}@{b}{c}.com" if own else f"{local}@{d}"
            for local, own, b, c, d in zip(
                locals_, company.tolist(), ls, suffix, domain, strict=True
            )
        ]
        chosen = np.empty(len(at), object)
        chosen[:] = at
        candidates[start[rows] + slot] = chosen
    claimed = np.empty(len(candidates), object)
    claimed[:] = claim_all(candidates.tolist())
    alternates: list[tuple[str, ...]] = [()] * n
    for count in (1, 2):
        rows = np.flatnonzero(counts == count)
        firsts = claimed[start[rows] + 1].tolist()
        if count == 1:
            for i, a in zip(rows.tolist(), firsts, strict=True):
                alternates[i] = (a,)
        else:
            seconds = claimed[start[rows] + 2].tolist()
            for i, a, b in zip(rows.tolist(), firsts, seconds, strict=True):
                alternates[i] = (a, b)
    return claimed[start].tolist(), alternates


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
        absent = np.flatnonzero(gen.random(n) < rule.missing)
        column = np.empty(n, object)
        column[:] = values
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
        parent_values = np.empty(n, object)
        parent_values[:] = columns[custom.by]
        for case, rule in custom.cases.items():
            rows = np.flatnonzero(parent_values == case)
            drawn = np.empty(len(rows), object)
            drawn[:] = _custom_column(custom, rule, gen, created[rows], spec.now)
            column[rows] = drawn
        columns[custom.name] = column.tolist()
    return columns


def generate_contacts(spec: WorldSpec, seed: int, count: int) -> Contacts:
    """``count`` contacts of the world; the same seed and count give the same contacts."""
    gen = generator(seed, "contacts")
    n, now = count, spec.now
    first, last = FIRST_NAMES.indexes(gen, n), LAST_NAMES.indexes(gen, n)
    place = Draw([(p, p.weight) for p in spec.places]).indexes(gen, n)
    emails, alternates = _emails(gen, first, last)
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


def campaign_times(spec: WorldSpec) -> list[int]:
    """When the world's campaigns went out: every ``every_days`` back from "now", at 15:00."""
    engagement = spec.engagement
    last_send = spec.now - spec.now % DAY + 15 * 3600
    if last_send > spec.now:
        last_send -= DAY
    return [last_send - k * engagement.every_days * DAY for k in range(engagement.campaigns)]


@dataclass(frozen=True)
class EventBatch:
    """Events of one kind from one campaign: contact indexes and Unix times, row by row."""

    source: str
    type: str
    contacts: np.ndarray
    timestamps: np.ndarray


def event_batches(spec: WorldSpec, seed: int, contacts: Contacts) -> Iterator[EventBatch]:
    """Opens and clicks of every campaign, campaign by campaign (opens, then clicks).

    Each contact has its own open rate (a Beta draw around the fixture's mean); a
    contact only receives the campaigns sent after it was created.
    """
    gen = generator(seed, "events")
    engagement, now, n = spec.engagement, spec.now, len(contacts)
    beta = 2.0 * (1 - engagement.open_rate) / engagement.open_rate
    rate = gen.beta(2.0, beta, n)
    created = contacts.created_at
    for sent in sorted(campaign_times(spec)):
        opened = np.flatnonzero((created <= sent) & (gen.random(n) < rate))
        opened_at = np.minimum(now, sent + gen.exponential(7200.0, len(opened)).astype(np.int64))
        clicked = gen.random(len(opened)) < engagement.click_rate
        clicked_at = np.minimum(now, opened_at[clicked] + gen.integers(5, 901, int(clicked.sum())))
        yield EventBatch("mail", "opened", opened, opened_at)
        yield EventBatch("mail", "clicked", opened[clicked], clicked_at)


def by_contact_id(batches: Iterable[EventBatch], contacts: Contacts) -> list[EventBatch]:
    """The events of each (source, type) as one batch, in contact id order.

    Stored in that order, a query matching ``event_data.contact_id`` with
    ``contact_data.contact_id`` (a JOIN, an ``IN`` subquery) walks the contacts' id index in
    order instead of at random: several times faster in SQLite. The contacts a query selects
    are the same in any order.
    """
    rank = np.empty(len(contacts), np.int64)
    rank[np.argsort(np.array(contacts.ids, dtype="S"), kind="stable")] = np.arange(len(contacts))
    kinds: dict[tuple[str, str], list[EventBatch]] = {}
    for batch in batches:
        kinds.setdefault((batch.source, batch.type), []).append(batch)
    merged = []
    for (source, kind), parts in kinds.items():
        rows = np.concatenate([part.contacts for part in parts])
        times = np.concatenate([part.timestamps for part in parts])
        order = np.argsort(rank[rows], kind="stable")
        merged.append(EventBatch(source, kind, rows[order], times[order]))
    return merged


def generate_events(spec: WorldSpec, seed: int, contacts: Contacts) -> Iterator[tuple]:
    """``(contact_id, source, type, timestamp)`` of every event, in ``event_batches`` order."""
    ids = contacts.ids
    for batch in event_batches(spec, seed, contacts):
        yield from zip(
            [ids[i] for i in batch.contacts.tolist()],
            repeat(batch.source),
            repeat(batch.type),
            batch.timestamps.tolist(),
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
