"""The one bounded cache: entry and byte bounds, recency, and values too big to keep."""

from __future__ import annotations

import pytest

from mockserver.lru import LruCache


def test_least_recently_used_entry_goes_first():
    cache: LruCache[str] = LruCache(2)
    cache.put("a", "1")
    cache.put("b", "2")
    assert cache.get("a") == "1"  # a is now the most recent
    cache.put("c", "3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1", None, "3")
    assert len(cache) == 2


def test_bytes_are_bounded_by_their_total_size():
    cache: LruCache[bytes] = LruCache(100, max_bytes=10)
    cache.put(1, b"12345")
    cache.put(2, b"12345")
    cache.put(3, b"1")
    assert cache.get(1) is None and cache.get(2) == b"12345" and cache.get(3) == b"1"
    assert cache.put(4, b"x" * 11) == b"x" * 11  # answered, never kept
    assert cache.get(4) is None


def test_get_or_build_builds_once():
    built = []
    cache: LruCache[int] = LruCache(4)

    def build() -> int:
        built.append(1)
        return 42

    assert cache.get_or_build("k", build) == cache.get_or_build("k", build) == 42
    assert built == [1]


def test_an_empty_cache_is_refused():
    with pytest.raises(ValueError):
        LruCache(0)
