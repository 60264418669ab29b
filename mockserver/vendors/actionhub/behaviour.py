"""The handlers of GET /segment and GET /segments: answers cached as bytes per program and
criteria, in the data version (new data starts with empty caches)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from functools import partial
from typing import TypeVar

import orjson

from mockserver.lru import LruCache
from mockserver.vendors.actionhub.model import WEIGHT_SCALE, SegmentKey, threshold
from mockserver.vendors.actionhub.programs import Program, Programs
from mockserver.vendors.interface import Call, Handler, Reply

#: The ``segment_basis`` query value -> the basis an item names (singular, as SegmentCount).
BASIS = {"labels": "label", "assets": "asset"}
V = TypeVar("V")


def split_list(text: str | None) -> list[str]:
    """A comma-delimited parameter: items stripped, empty ones dropped, duplicates once."""
    if not text:
        return []
    return list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


def cached(cache: LruCache[V], key: Hashable, refresh: bool, build: Callable[[], V]) -> V:
    """The cached value of ``key``; ``refresh`` (``force_refresh``) builds and replaces it."""
    return cache.put(key, build()) if refresh else cache.get_or_build(key, build)


def get_segment(programs: Programs, call: Call) -> Reply:
    params = call.params
    # x-dependencies (Or(asset_ids, labels)) was enforced with the other parameters.
    asset_ids, labels = split_list(params["asset_ids"]), split_list(params["labels"])
    basis, names = ("asset", asset_ids) if asset_ids else ("label", labels)
    program = programs.get(params["program-id"])
    action_names = split_list(params["action_types"])
    key = SegmentKey(
        basis=basis,
        names=tuple(sorted(names)),
        actions=tuple(sorted(action_names)) if action_names else None,
        match_all=params["match_type"] == "all",
        segment_type=params["segment_type"],
        level=threshold(float(params["min_weight"])),
    )
    build = partial(segment_body, program, key)
    body = cached(program.segment_bodies, key, params["force_refresh"], build)
    return Reply(200, body, "text/plain")


def segment_body(program: Program, key: SegmentKey) -> bytes:
    known = program.positions[key.basis]
    items = [known[name] for name in key.names if name in known]
    if key.match_all and len(items) < len(key.names):
        return b""  # an unknown asset or label matches no user
    positions = program.positions["action"]
    chosen = positions if key.actions is None else key.actions
    actions = [positions[name] for name in chosen if name in positions]
    return program.world.users.render(program.index.members(key, items, actions))


def get_segments(programs: Programs, call: Call) -> Reply:
    params = call.params
    program = programs.get(params["program-id"])
    basis, segment_type = BASIS[params["segment_basis"]], params["segment_type"]
    min_weight = float(params["min_weight"])
    page, size = params["page"], params["size"]
    level = threshold(min_weight)
    refresh = params["force_refresh"]

    def body() -> bytes:
        """A fastapi-pagination page: exactly ``items``, ``total``, ``page``, ``size``."""
        build = partial(program.rank, basis, segment_type, level)
        ranked = cached(program.ranked, (basis, segment_type, level), refresh, build)
        catalog = program.catalog
        ids, names = catalog.ids(basis), catalog.names(basis)
        n_items = len(ids)
        start = (page - 1) * size
        items = []
        for i in range(min(start, len(ranked)), min(start + size, len(ranked))):
            segment, count = int(ranked.segments[i]), int(ranked.counts[i])
            item, action = segment % n_items, segment // n_items
            items.append(
                {
                    "segment_type": segment_type,
                    "segment_basis": basis,
                    "segment_basis_id": ids[item],
                    "action_type": catalog.action_types[action],
                    "name": names[item],
                    "user_count": count,
                    "strength": strength(int(ranked.sums[i]), count),
                    "min_weight": min_weight,
                }
            )
        # page may exceed 64 bits (FastAPI accepts any int); format the integers ourselves.
        tail = f',"total":{len(ranked)},"page":{page},"size":{size}}}'.encode()
        return b'{"items":' + orjson.dumps(items) + tail

    page_key = (basis, segment_type, repr(min_weight), page, size)
    return Reply(200, cached(program.pages, page_key, refresh, body))


def strength(total: int, count: int) -> float:
    """The mean weight, rounded half up to 4 decimals (computed exactly, in integers)."""
    return (2 * total + count) // (2 * count) / WEIGHT_SCALE


#: operationId -> its handler over the programs of a data version.
HANDLERS = {"get_segment_segment_get": get_segment, "get_segments_segments_get": get_segments}
OPERATIONS = frozenset(HANDLERS)


def handlers(programs: Programs) -> Mapping[str, Handler]:
    return {operation: partial(handle, programs) for operation, handle in HANDLERS.items()}
