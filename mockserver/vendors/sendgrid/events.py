"""Email engagement of a SendGrid world: opens and clicks of every campaign it has sent, from a
per-contact open rate (a Beta draw around the fixture's mean), in contact-id order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from mockserver.vendors.sendgrid.draws import generator
from mockserver.vendors.sendgrid.fixtures import WorldSpec
from mockserver.vendors.sendgrid.values import DAY
from mockserver.vendors.sendgrid.world import Contacts


def campaign_times(spec: WorldSpec) -> list[int]:
    """When the world's campaigns went out: every ``every_days`` back from "now", at 15:00."""
    engagement = spec.engagement
    last_send = spec.now - spec.now % DAY + 15 * 3600
    if last_send > spec.now:
        last_send -= DAY
    return [last_send - k * engagement.every_days * DAY for k in range(engagement.campaigns)]


class EventBatch(NamedTuple):
    """Events of one kind from one campaign: contact indexes and Unix times, row by row."""

    source: str
    type: str
    contacts: np.ndarray
    timestamps: np.ndarray


def event_batches(spec: WorldSpec, seed: int, contacts: Contacts) -> Iterator[EventBatch]:
    """Opens and clicks of every campaign, campaign by campaign (opens, then clicks); a
    contact only receives the campaigns sent after it was created."""
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
    """The events of each (source, type) as one batch, in contact id order: a query joining
    them to ``contact_data.contact_id`` then walks the id index in order, not at random
    (several times faster in SQLite)."""
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
