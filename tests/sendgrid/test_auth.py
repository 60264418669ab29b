"""Who may ask: SendGrid's key shape by default, configured keys and scopes otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.cli import parser, serve_config
from mockserver.config import ServeConfig
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.auth import KEY_SHAPE, parse_key_option
from tests.harness import live_server
from tests.sendgrid.conftest import SEGMENTS, bearer, sg_key

INVALID = "The provided authorization grant is invalid, expired, or revoked"


def message(response: httpx.Response) -> str:
    (error,) = response.json()["errors"]
    assert error["field"] is None
    return error["message"]


def test_no_credential_is_401_authorization_required(sg_live):
    response = httpx.get(sg_live.url + SEGMENTS)
    assert response.status_code == 401
    assert message(response) == "authorization required"


@pytest.mark.parametrize(
    "key",
    [
        "SG.short.key",
        "sg." + "a" * 22 + "." + "b" * 43,
        "SG." + "a" * 22 + "." + "b" * 42,
        "SG." + "a" * 21 + "!" + "." + "b" * 43,
        "SG." + "a" * 22 + "." + "b" * 43 + "x",
    ],
)
def test_keys_not_of_sendgrids_shape_are_401_invalid_grant(sg_live, key):
    for path in (SEGMENTS, f"{SEGMENTS}/00000000-0000-4000-8000-000000000000"):
        response = httpx.get(sg_live.url + path, headers=bearer(key))
        assert response.status_code == 401
        assert message(response) == INVALID


def test_any_key_of_sendgrids_shape_is_accepted_by_default(sg_live):
    for key in (sg_key("a"), "SG.Ab-_" + "x" * 18 + "." + "Z9_-" * 10 + "abc"):
        assert KEY_SHAPE.fullmatch(key)
        assert httpx.get(sg_live.url + SEGMENTS, headers=bearer(key)).status_code == 200


READER, SENDER, ADMIN = sg_key("r"), sg_key("s"), sg_key("z")


@pytest.fixture(scope="module")
def live_keyed() -> Iterator[LiveServer]:
    keys = [f"{READER}:marketing.read", f"{SENDER}:mail.send,marketing.write", ADMIN]
    config = ServeConfig(apis=("sendgrid",), vendor_options={"sendgrid": {"keys": keys}})
    with live_server(config) as server:
        yield server


def test_configured_keys_replace_the_shape_rule(live_keyed):
    response = httpx.get(live_keyed.url + SEGMENTS, headers=bearer(sg_key("a")))
    assert response.status_code == 401
    assert message(response) == INVALID


def test_a_key_without_the_marketing_read_scope_is_403(live_keyed):
    response = httpx.get(live_keyed.url + SEGMENTS, headers=bearer(SENDER))
    assert response.status_code == 403
    assert message(response) == "access forbidden"


@pytest.mark.parametrize("key", [READER, ADMIN])
def test_keys_with_the_scope_or_full_access_are_served(live_keyed, key):
    assert httpx.get(live_keyed.url + SEGMENTS, headers=bearer(key)).status_code == 200


def test_key_option_syntax():
    assert parse_key_option("SG.k.k") == ("SG.k.k", None)
    assert parse_key_option("SG.k.k:marketing.read, mail.send") == (
        "SG.k.k",
        frozenset({"marketing.read", "mail.send"}),
    )
    with pytest.raises(ValueError):
        parse_key_option(":marketing.read")


def test_cli_options_reach_the_vendor():
    args = parser().parse_args(
        ["serve", "--sendgrid-key", READER, "--sendgrid-key", f"{SENDER}:mail.send",
         "--rate-limit", "5", "--contacts", "300"]
    )  # fmt: skip
    options = serve_config(args).vendor_options["sendgrid"]
    assert options["keys"] == [READER, f"{SENDER}:mail.send"]
    assert options["rate_limit"] == 5 and options["contacts"] == 300
