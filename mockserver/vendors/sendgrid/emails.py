"""Contacts' names and email addresses: as people spell their names in one, at free-mail and
work domains, each address handed out once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np

from mockserver.budget import checkpoint
from mockserver.vendors.sendgrid import names
from mockserver.vendors.sendgrid.draws import Draw, objects, pick

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
#: How many alternate emails a contact has, by weight.
ALTERNATES = ((0, 60), (1, 30), (2, 10))
COMPANY_SUFFIXES = ("group", "labs", "partners", "co", "media", "systems", "studio", "works")

_NOT_LETTER = re.compile(r"[^a-z]")
#: Addresses handed out between two checks of a data load's time budget (mockserver.budget).
CHECK_EVERY = 4096
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


def _domains_json(email: str, alternates: tuple[str, ...]) -> str:
    """JSON text of a contact's email domains, in order, each once."""
    domains = [email[email.index("@") + 1 :]]
    for address in alternates:
        domain = address[address.index("@") + 1 :]
        if domain not in domains:
            domains.append(domain)
    return '["' + '","'.join(domains) + '"]'


def all_domains_json(emails: list[str], alternates: list[tuple[str, ...]]) -> Iterator[str]:
    """``_domains_json`` of every contact (most have one address: spelled inline)."""
    return (
        _domains_json(email, others) if others else '["' + email[email.index("@") + 1 :] + '"]'
        for email, others in zip(emails, alternates, strict=True)
    )


#: Per local-part pattern: its spelling of (first name, last name, k), and the number ``k`` it
#: ends with, ``offset + int(number * scale)``, as (scale, offset).
LOCAL_PARTS: tuple[tuple[Callable[[str, str, int], str], int, int], ...] = (
    (lambda a, b, _: f"{a}.{b}", 0, 0),
    (lambda a, b, _: f"{a}{b}", 0, 0),
    (lambda a, b, _: f"{a[0]}{b}", 0, 0),
    (lambda a, b, c: f"{a}.{b}{c}", 99, 1),
    (lambda a, b, c: f"{a}_{b}{c}", 40, 60),
    (lambda a, b, c: f"{a}{b[0]}{c}", 999, 1),
)


def local_parts(f: list[str], ln: list[str], pattern: np.ndarray, number: np.ndarray) -> list:
    """The ways people spell their name (slugs ``f``, ``ln``) in an address, one per row, by
    ``pattern`` (0-5); ``number`` in [0, 1) makes the digits some patterns end with."""
    out: list[str] = [""] * len(f)
    for kind, (spell, scale, offset) in enumerate(LOCAL_PARTS):
        rows = np.flatnonzero(pattern == kind)
        k = (offset + (number[rows] * scale).astype(np.int64)).tolist()
        made = [spell(a, b, c) for a, b, c in zip(pick(f, rows), pick(ln, rows), k, strict=True)]
        for i, text in zip(rows.tolist(), made, strict=True):
            out[i] = text
    return out


def claim_all(candidates: list[str]) -> list[str]:
    """Hand out the addresses in order, never one twice: a taken ``local@domain`` becomes
    ``local2@domain``, ``local3@domain``, ... (the first free one)."""
    taken: set[str] = set()
    claimed = []
    for count, address in enumerate(candidates):
        if not count % CHECK_EVERY:
            checkpoint()
        if address in taken:
            local, _, domain = address.rpartition("@")
            serial = 2
            while f"{local}{serial}@{domain}" in taken:
                serial += 1
            address = f"{local}{serial}@{domain}"
        taken.add(address)
        claimed.append(address)
    return claimed


def draw_emails(
    gen: np.random.Generator, first: np.ndarray, last: np.ndarray
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Primary and alternate emails: names at free-mail providers or the employer's domain,
    claimed in contact order (a contact's primary, then its alternates)."""
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
        # The primary is at work for work contacts, the first alternate for the others.
        company = (work[rows], ~work[rows], np.zeros(len(rows), bool))[slot]
        free_domain = domains[rows, min(slot, 1)]
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
        candidates[start[rows] + slot] = objects(at)
    claimed = objects(claim_all(candidates.tolist()))
    alternates: list[tuple[str, ...]] = [()] * n
    for count in (1, 2):
        rows = np.flatnonzero(counts == count)
        columns = [claimed[start[rows] + k].tolist() for k in range(1, count + 1)]
        for i, addresses in zip(rows.tolist(), zip(*columns, strict=True), strict=True):
            alternates[i] = addresses
    return claimed[start].tolist(), alternates
