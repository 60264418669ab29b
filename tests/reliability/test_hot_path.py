"""The per-operation memo of decoded parameters: keyed by everything they come from, bounded."""

from __future__ import annotations

import httpx
import pytest

from mockserver.pipeline import DECODED_CACHE_SIZE, MAX_CACHED_KEY
from mockserver.testing import LiveServer


@pytest.fixture()
def default_mode_client(server: LiveServer):
    with httpx.Client(base_url=server.url) as http:
        yield http


def test_header_parameters_are_part_of_the_key(default_mode_client):
    query = "/segments?segment_basis=assets&size=3"
    first = default_mode_client.get(query, headers={"program-id": "demo"})
    other = default_mode_client.get(query, headers={"program-id": "another-tenant"})
    again = default_mode_client.get(query, headers={"program-id": "demo"})
    assert first.status_code == other.status_code == 200
    assert first.content == again.content != other.content


def test_a_memoized_error_answers_like_the_first(default_mode_client):
    first = default_mode_client.get("/segments?page=0&size=x", headers={"program-id": "demo"})
    again = default_mode_client.get("/segments?page=0&size=x", headers={"program-id": "demo"})
    assert first.status_code == 422
    assert first.content == again.content


def test_memo_is_bounded_in_entries_and_key_size(server, default_mode_client):
    pipeline = server.app.table.exact["/segments"].pipelines["GET"]
    for page in range(1, DECODED_CACHE_SIZE + 50):
        default_mode_client.get(f"/segments?page={page}", headers={"program-id": "demo"})
    assert 0 < len(pipeline._decoded) <= DECODED_CACHE_SIZE
    pipeline._decoded.clear()
    assert len(pipeline._decoded) == 0
    long_label = "x" * MAX_CACHED_KEY
    reply = default_mode_client.get(
        f"/segments?segment_basis={long_label}", headers={"program-id": "demo"}
    )
    assert reply.status_code == 422
    assert len(pipeline._decoded) == 0
