"""The overlay's arithmetic on its own: ids, days in zones, the schedule, the tz database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mockserver.vendors.sendgrid import overlay
from mockserver.vendors.sendgrid.overlay import HOUR, Created, Overlay, day_start, new_id


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_ids_come_from_the_seed_and_the_write_number():
    assert new_id(0, 1, "segment") == new_id(0, 1, "segment")
    assert len({new_id(0, 1, "segment"), new_id(1, 1, "segment"), new_id(0, 2, "segment"),
                new_id(0, 1, "job")}) == 4  # fmt: skip
    assert new_id(0, 1, "segment")[14] == "4"  # a version 4 layout


@pytest.mark.parametrize(
    ("zone", "now", "midnight"),
    [
        ("UTC", "2026-03-10 15:00", "2026-03-10 00:00"),
        ("America/Chicago", "2026-03-10 03:00", "2026-03-09 05:00"),  # still the 9th there
        ("America/Chicago", "2026-03-08 12:00", "2026-03-08 06:00"),  # DST began at 2:00 CST
        ("Asia/Tokyo", "2026-03-10 15:00", "2026-03-10 15:00"),  # midnight exactly
        ("Asia/Kolkata", "2026-03-10 18:29", "2026-03-09 18:30"),
    ],
)
def test_the_day_starts_at_midnight_in_the_zone(zone, now, midnight):
    assert day_start(utc(now), zone) == utc(midnight)


def test_the_schedule_is_hourly_from_when_the_query_was_set():
    fold = Overlay()
    segment = Created("s", "n", "q", (), 1000.0, 1000.0, 1000.0)
    fold.created["s"] = segment
    assert fold.evaluated_at(segment, 1000.0 + HOUR - 1) is None
    assert fold.evaluated_at(segment, 1000.0 + HOUR) == 1000.0 + HOUR
    assert fold.evaluated_at(segment, 1000.0 + 5.5 * HOUR) == 1000.0 + 5 * HOUR
    fold.apply({"op": "refresh", "id": "s", "zone": "UTC", "at": 1000.0 + 5.75 * HOUR}, 2)
    assert fold.evaluated_at(segment, 1000.0 + 5.75 * HOUR) == 1000.0 + 5.75 * HOUR
    assert fold.evaluated_at(segment, 1000.0 + 7 * HOUR) == 1000.0 + 6.75 * HOUR


def test_a_missing_time_zone_database_is_named(monkeypatch):
    monkeypatch.setattr(overlay, "iana_zones", lambda: frozenset())
    assert "install the tzdata package" in overlay.zone_problem("UTC")


def test_zone_names_must_be_iana():
    assert overlay.zone_problem("Europe/Paris") is None
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "CET "):
        assert "IANA" in overlay.zone_problem(bad)
