"""SendGrid Marketing Campaigns Segments API: segments, contacts and lists that agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.behaviour.contract import Backend, CliOption, GeneratedBackend, VendorOptions
from mockserver.vendors.sendgrid.dialect import SendGridDialect


@dataclass(frozen=True)
class SendGrid:
    name: str = "sendgrid"
    spec_file: str = "sendgrid-segments.openapi.yaml"
    dialect: SendGridDialect = field(default_factory=SendGridDialect)

    cli_options: tuple[CliOption, ...] = ()

    def build(self, options: VendorOptions, data: Any | None = None) -> Backend:
        return GeneratedBackend()


VENDOR = SendGrid()
