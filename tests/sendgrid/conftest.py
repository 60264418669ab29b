"""SendGrid test fixtures: the default world in process, and keys of SendGrid's shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.control import actions
from mockserver.resources import bundled_dir
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid import fixtures
from mockserver.vendors.sendgrid.catalog import Catalog, build_catalog
from mockserver.vendors.sendgrid.fixtures import WorldSpec
from tests.sendgrid.contacts_helpers import START, set_clock

SEGMENTS = "/v3/marketing/segments"


def sg_key(char: str) -> str:
    """A key of SendGrid's shape, distinct per ``char``."""
    return f"SG.{char * 22}.{char * 43}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def world() -> WorldSpec:
    """The bundled default world, seed 0 (what the ``live`` server serves)."""
    directory = bundled_dir("fixtures") / "sendgrid"
    return fixtures.load(directory, None, 0)


@pytest.fixture(scope="session")
def sg_live() -> Iterator[LiveServer]:
    """SendGrid alone, default seed and world, responses validated against the spec.

    Its own server, so no other test's data load or reset can change what it answers.
    """
    with LiveServer(ServeConfig(apis=("sendgrid",), validate_responses=True)) as server:
        yield server


@pytest.fixture(scope="session")
def sg(sg_live: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client on ``sg_live`` with a valid key."""
    with httpx.Client(base_url=sg_live.url, headers=bearer(sg_key("a")), timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def catalog(sg_live: LiveServer) -> Catalog:
    """The data ``sg_live`` answers from."""
    return sg_live.app.runtimes["sendgrid"].backend.catalog


@pytest.fixture(scope="session")
def rebuilt(world) -> Catalog:
    """The default world built again in this process, apart from any server."""
    return build_catalog(world, 0)


@pytest.fixture(scope="module")
def contacts_server() -> Iterator[LiveServer]:
    """SendGrid alone on a server the contacts and lists tests write to."""
    with LiveServer(ServeConfig(apis=("sendgrid",), validate_responses=True)) as live:
        yield live


@pytest.fixture()
def account(contacts_server: LiveServer) -> Iterator[httpx.Client]:
    """A client on the seed world, everything written before reset, the clock frozen."""
    actions.reset(contacts_server.app.control)
    set_clock(contacts_server, now=START)
    with httpx.Client(
        base_url=contacts_server.url, headers=bearer(sg_key("c")), timeout=30
    ) as http:
        yield http
