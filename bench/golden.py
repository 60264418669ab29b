"""Golden answers: a SHA-256 per request over many worlds, to prove a change keeps the bytes.

    .venv/bin/python bench/golden.py record [--big] [--file bench/golden.json]
    .venv/bin/python bench/golden.py check [--big] [--file bench/golden.json]

Each scenario builds the mock app in-process and sends its requests through
``httpx.ASGITransport``: ActionHub ``/segments`` (every basis, segment type and a range of
``min_weight``, every page) and ``/segment`` (every label, plus seeded random criteria) over the
``demo`` fixture and generated programs of several sizes; SendGrid's list (every filter) and
get-by-id (with and without ``query_json``) over the default world and generated sizes. The
file stores, per scenario, the first 12 hex digits of SHA-256(status, content-type, body) of
each request in the order sent (the requests themselves are regenerated from the script), so it
stays small however large the world. ``--big`` adds the 1,000,000-user ActionHub world and the
200,000- and 1,000,000-contact SendGrid worlds (minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mockserver.app import MockApp, build_app
from mockserver.config import ServeConfig

KEY = "SG." + "g" * 22 + "." + "h" * 43
SEGMENTS = "/v3/marketing/segments"
WEIGHTS = (0.0, 0.2, 0.5, 0.7333, 0.9, 1.0)
DEFAULT_FILE = Path(__file__).with_name("golden.json")


@dataclass(frozen=True)
class Scenario:
    """One server configuration and the programs (ActionHub) asked about."""

    name: str
    api: str
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    programs: tuple[str, ...] = ()
    random_segments: int = 150
    big: bool = False


SCENARIOS = (
    Scenario("actionhub default", "actionhub", programs=("demo", "golden-shop")),
    Scenario("actionhub seed 3", "actionhub", seed=3, programs=("demo", "other-shop")),
    Scenario("actionhub 5000 users", "actionhub", options={"users": 5000}, programs=("g5000",)),
    Scenario(
        "actionhub 20000 users x 7",
        "actionhub",
        seed=11,
        options={"users": 20_000, "recommendations_per_user": 7},
        programs=("g20000",),
    ),
    Scenario(
        "actionhub 9 users x 3",
        "actionhub",
        options={"users": 9, "recommendations_per_user": 3},
        programs=("tiny",),
    ),
    Scenario("actionhub 1 user", "actionhub", options={"users": 1}, programs=("one",)),
    Scenario("actionhub 0 users", "actionhub", options={"users": 0}, programs=("empty",)),
    Scenario(
        "actionhub 0 per user",
        "actionhub",
        options={"recommendations_per_user": 0},
        programs=("none",),
    ),
    Scenario(
        "actionhub 1,000,000 users",
        "actionhub",
        options={"users": 1_000_000},
        programs=("bench-shop",),
        random_segments=60,
        big=True,
    ),
    Scenario("sendgrid default", "sendgrid"),
    Scenario("sendgrid seed 5", "sendgrid", seed=5),
    Scenario("sendgrid 5000 contacts", "sendgrid", options={"contacts": 5000}),
    Scenario("sendgrid 1 contact", "sendgrid", options={"contacts": 1}),
    Scenario("sendgrid 0 contacts", "sendgrid", options={"contacts": 0}),
    Scenario("sendgrid 200000 contacts", "sendgrid", options={"contacts": 200_000}, big=True),
    Scenario("sendgrid 1000000 contacts", "sendgrid", options={"contacts": 1_000_000}, big=True),
)


def digest(response: httpx.Response) -> str:
    h = hashlib.sha256(f"{response.status_code} {response.headers.get('content-type')}\n".encode())
    h.update(response.content)
    return h.hexdigest()[:12]


def segments_urls(full: bool) -> Iterator[str]:
    """Every (basis, type, weight) first page; ``full``: later pages too (sizes 100 and 7)."""
    for basis in ("labels", "assets"):
        for segment_type in ("growth", "base", "discovery"):
            for weight in WEIGHTS:
                base = f"/segments?segment_basis={basis}&segment_type={segment_type}"
                yield f"{base}&min_weight={weight}"
                if full:
                    yield f"{base}&min_weight={weight}&page=3&size=7"
                    yield f"{base}&min_weight={weight}&page=2&size=100&force_refresh=true"


def segment_urls(catalog: Any, count: int, rng: random.Random) -> Iterator[str]:
    """Each label at its defaults, then seeded random criteria (unknown ids included)."""
    for label in catalog.label_ids:
        yield f"/segment?labels={label}"
    actions = list(catalog.action_types) + ["nope"]
    for _ in range(count):
        basis = rng.choice(["asset_ids", "labels"])
        ids = list(catalog.asset_ids if basis == "asset_ids" else catalog.label_ids)
        picks = rng.sample(ids, min(len(ids), rng.randint(1, 3))) if ids else []
        if rng.random() < 0.05:
            picks.append("unknown-id")
        chosen = rng.sample(actions, rng.randint(0, 2))
        url = f"/segment?{basis}={','.join(picks) or 'x'}"
        if chosen:
            url += f"&action_types={','.join(chosen)}"
        url += (
            f"&match_type={rng.choice(['any', 'all'])}"
            f"&segment_type={rng.choice(['growth', 'base', 'discovery'])}"
            f"&min_weight={rng.choice([0, 0.1, 0.35, 0.5, 0.61, 0.8, 0.95, 1])}"
        )
        if rng.random() < 0.3:
            url += "&force_refresh=true"
        yield url


async def actionhub(mock: MockApp, scenario: Scenario) -> dict[str, str]:
    programs = mock.runtimes["actionhub"].backend.programs
    answers = {}
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://golden") as client:
        for program in scenario.programs:
            headers = {"program-id": program}
            catalog = programs.get(program).world.catalog
            rng = random.Random(f"{scenario.name}/{program}")
            urls = [
                *segments_urls(full=not scenario.big),
                *segment_urls(catalog, scenario.random_segments, rng),
            ]
            for url in urls:
                answers[f"{program} {url}"] = digest(await client.get(url, headers=headers))
        answers["inventory"] = hashlib.sha256(
            json.dumps(mock.runtimes["actionhub"].backend.inventory()).encode()
        ).hexdigest()[:12]
    return answers


async def sendgrid(mock: MockApp, scenario: Scenario) -> dict[str, str]:
    backend = mock.runtimes["sendgrid"].backend
    catalog = backend.catalog
    headers = {"Authorization": f"Bearer {KEY}"}
    urls = [SEGMENTS, SEGMENTS + "?no_parent_list_id=true"]
    urls += [f"{SEGMENTS}?parent_list_ids={item.id}" for item in catalog.spec.lists]
    urls += [f"{SEGMENTS}?ids={s.id}" for s in catalog.segments[:3]]
    for s in catalog.segments:
        urls += [f"{SEGMENTS}/{s.id}", f"{SEGMENTS}/{s.id}?query_json=true"]
    urls.append(f"{SEGMENTS}/00000000-0000-4000-8000-000000000000")
    answers = {}
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://golden") as client:
        for url in urls:
            answers[url] = digest(await client.get(url, headers=headers))
    inventory = {k: list(v) for k, v in backend.inventory().items()}
    answers["inventory"] = hashlib.sha256(json.dumps(inventory).encode()).hexdigest()[:12]
    members = hashlib.sha256()
    for name, indexes in sorted(catalog.list_members.items()):
        members.update(f"{name}:{sorted(indexes)}\n".encode())
    for s in catalog.segments:
        members.update(f"{s.id}:{sorted(s.members)}\n".encode())
    answers["memberships"] = members.hexdigest()[:12]
    contacts = catalog.contacts
    rows = hashlib.sha256()
    for i in range(len(contacts)):
        rows.update(json.dumps(contacts.as_json(i, [])).encode())
    answers["contacts"] = rows.hexdigest()[:12]
    return answers


def run(scenario: Scenario) -> dict[str, str]:
    config = ServeConfig(
        apis=(scenario.api,),
        seed=scenario.seed,
        vendor_options={scenario.api: scenario.options} if scenario.options else {},
    )
    mock = build_app(config)
    answer = actionhub if scenario.api == "actionhub" else sendgrid
    return asyncio.run(answer(mock, scenario))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "check"])
    parser.add_argument("--big", action="store_true", help="also the 1M-user / 200k-contact worlds")
    parser.add_argument("--only", help="scenarios whose name contains this text")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    stored = json.loads(args.file.read_text()) if args.file.exists() else {}
    failed = False
    for scenario in SCENARIOS:
        if (scenario.big and not args.big) or (args.only and args.only not in scenario.name):
            continue
        started = time.perf_counter()
        answers = run(scenario)
        seconds = time.perf_counter() - started
        if args.action == "record":
            stored[scenario.name] = list(answers.values())
            print(f"{scenario.name}: recorded {len(answers)} answers ({seconds:.1f} s)")
            continue
        golden = stored.get(scenario.name)
        if golden is None:
            print(f"{scenario.name}: no golden answers recorded")
            failed = True
            continue
        keys = list(answers)
        mine = list(answers.values())
        differing = [
            i for i in range(max(len(golden), len(mine))) if golden[i : i + 1] != mine[i : i + 1]
        ]
        failed = failed or bool(differing)
        verdict = "identical" if not differing else f"{len(differing)} DIFFER"
        print(f"{scenario.name}: {len(answers)} answers {verdict} ({seconds:.1f} s)")
        for i in differing[:10]:
            key = keys[i] if i < len(keys) else f"#{i}"
            print(f"    {key}: {golden[i : i + 1]} -> {mine[i : i + 1]}")
    if args.action == "record":
        args.file.write_text(
            json.dumps(stored, indent=0, sort_keys=True).replace(",\n", ",") + "\n"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
