"""ActionHub Segments API: segments of users computed from growth-value recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.behaviour.contract import Backend, CliOption, GeneratedBackend, VendorOptions
from mockserver.vendors.actionhub.dialect import FastAPIDialect


@dataclass(frozen=True)
class ActionHub:
    name: str = "actionhub"
    spec_file: str = "actionhub.openapi.yaml"
    dialect: FastAPIDialect = field(default_factory=FastAPIDialect)

    cli_options: tuple[CliOption, ...] = ()

    def build(self, options: VendorOptions, data: Any | None = None) -> Backend:
        return GeneratedBackend()


VENDOR = ActionHub()
