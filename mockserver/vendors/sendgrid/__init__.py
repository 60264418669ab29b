"""SendGrid Marketing Campaigns Segments API: segments, contacts and lists that agree
(the modules: docs/ARCHITECTURE.md)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NamedTuple

from mockserver.numbers import bounded_int
from mockserver.params.grammar import Grammar
from mockserver.resources import bundled_dir
from mockserver.vendors.interface import (
    Backend,
    CliOption,
    CredentialSource,
    VendorOptions,
)
from mockserver.vendors.sendgrid import fixtures, memberships
from mockserver.vendors.sendgrid.auth import KeyRing, parse_key_option
from mockserver.vendors.sendgrid.behaviour import OPERATIONS, SendGridBackend
from mockserver.vendors.sendgrid.catalog import build_catalog
from mockserver.vendors.sendgrid.dialect import SendGridDialect
from mockserver.vendors.sendgrid.grammar import GO_STRCONV
from mockserver.vendors.sendgrid.ratelimit import RateLimiter

log = logging.getLogger("mockserver.sendgrid")


def fixtures_dir(options: VendorOptions) -> Path:
    """``<fixtures>/sendgrid``; the bundled world when a custom directory has none."""
    if options.fixtures_dir is not None:
        mine = Path(options.fixtures_dir) / "sendgrid"
        if (mine / fixtures.WORLD_FILE).is_file():
            return mine
        log.info("no sendgrid/%s in %s: using the bundled world", fixtures.WORLD_FILE, mine.parent)
    return bundled_dir("fixtures") / "sendgrid"


#: The Bearer API key; the sample is a well-formed throwaway key the mock accepts.
API_KEY = CredentialSource(
    env="SENDGRID_API_KEY",
    header="Authorization",
    template="Bearer {}",
    sample="Bearer SG." + "m" * 22 + "." + "k" * 43,
)


class SendGrid(NamedTuple):
    name: str = "sendgrid"
    spec_file: str = "sendgrid-segments.openapi.yaml"
    dialect: SendGridDialect = SendGridDialect()
    grammar: Grammar = GO_STRCONV
    cli_options: tuple[CliOption, ...] = (
        CliOption(
            "--sendgrid-key",
            "keys",
            "accept only this API key (repeatable); KEY:scope,scope limits its scopes, e.g. "
            "KEY:mail.send lacks marketing.read (403). Default: any key shaped SG.<22>.<43>",
            action="append",
            metavar="KEY[:SCOPES]",
        ),
        CliOption(
            "--rate-limit",
            "rate_limit",
            "SendGrid: requests per minute per API key before 429 (default: unlimited)",
            type=bounded_int("rate limit", 0),
            metavar="N/min",
        ),
        CliOption(
            "--contacts",
            "contacts",
            "SendGrid: number of contacts to generate (default: the fixtures' count)",
            type=bounded_int("contacts", 0),
            metavar="N",
        ),
    )
    operations: frozenset[str] = OPERATIONS
    credential: CredentialSource = API_KEY
    #: SendGrid answers 429 past its per-endpoint window (X-RateLimit-*): stay well inside it.
    contract_pace: str = "3/s"

    def build(self, options: VendorOptions, data: Any | None = None) -> Backend:
        extra = options.extra
        bundled = bundled_dir("fixtures") / "sendgrid"
        directory = fixtures_dir(options)
        world = fixtures.load(directory, data, options.seed, bundled, options.max_file_bytes)
        is_bundled = data is None and directory == bundled
        configured = [(k.key, k.scopes) for k in world.keys]
        configured += [parse_key_option(value) for value in extra.get("keys") or ()]
        count = extra.get("contacts")
        known = memberships.known(options.seed, count, is_bundled)
        catalog = build_catalog(world, options.seed, count, options.progress, known)
        if not is_bundled or memberships.covers(options.seed, count, is_bundled):
            # Checked with the rest: a user's data the spec cannot answer is refused when loaded
            # (400), never a later 500; the default world's digest stays the one validated ahead
            # of time even where its memberships table is not current (another NumPy, SQLite).
            # Another generated world's full answers wait for their first request.
            catalog.fulls.get()
        return SendGridBackend(
            catalog=catalog,
            keys=KeyRing(dict(configured) or None),
            limiter=RateLimiter(extra.get("rate_limit") or None, options.windows, options.clock),
            dialect=self.dialect,
            writes=options.writes,
        )


VENDOR = SendGrid()
