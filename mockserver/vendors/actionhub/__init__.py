"""ActionHub Segments API: segments of users computed from growth-value recommendations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.numbers import bounded_int
from mockserver.params.grammar import Grammar
from mockserver.vendors.actionhub import rankings
from mockserver.vendors.actionhub.behaviour import OPERATIONS, handlers
from mockserver.vendors.actionhub.dialect import FastAPIDialect
from mockserver.vendors.actionhub.fixtures import load_programs, programs_from_data
from mockserver.vendors.actionhub.grammar import PYDANTIC
from mockserver.vendors.actionhub.model import MAX_USERS, Volume
from mockserver.vendors.actionhub.programs import Programs
from mockserver.vendors.interface import (
    Backend,
    CliOption,
    CredentialSource,
    Handler,
    VendorOptions,
)


@dataclass(frozen=True)
class ActionHubBackend(Backend):
    """One data version: the programs and the handlers answering from them."""

    programs: Programs
    handlers: Mapping[str, Handler]

    def memoizable(self, operation_id: str, params: Mapping[str, Any]) -> bool:
        """Answers follow from the parameters and the data alone; ``force_refresh`` asks for
        the segment to be computed again, so it is honoured, not memoized."""
        return not params.get("force_refresh")

    def inventory(self) -> Mapping[str, Sequence[str]]:
        """The fixture programs (any other program-id answers from a generated world)."""
        return {"programs": sorted(self.programs.fixed)}

    def describe(self) -> str:
        return self.programs.describe()


#: The tenant header: not a secret, but what selects the data.
PROGRAM_ID = CredentialSource(
    env="ACTIONHUB_PROGRAM_ID", header="program-id", template="{}", sample="demo"
)


@dataclass(frozen=True)
class ActionHub:
    name: str = "actionhub"
    spec_file: str = "actionhub.openapi.yaml"
    dialect: FastAPIDialect = field(default_factory=FastAPIDialect)
    grammar: Grammar = PYDANTIC
    operations: frozenset[str] = OPERATIONS
    credential: CredentialSource = PROGRAM_ID
    #: ActionHub documents no rate limit; a modest pace for a real deployment.
    contract_pace: str = "5/s"
    cli_options: tuple[CliOption, ...] = (
        CliOption(
            "--users",
            "users",
            "users of each generated program, i.e. any program-id no fixture defines "
            "(default 1000, at most 1,000,000)",
            type=bounded_int("users", 0, MAX_USERS),
            metavar="N",
        ),
        CliOption(
            "--recommendations-per-user",
            "recommendations_per_user",
            "recommendations drawn per user of a generated program (default 20)",
            type=bounded_int("recommendations per user", 0, 1000),
            metavar="N",
        ),
    )

    def build(self, options: VendorOptions, data: Any | None = None) -> Backend:
        known = None
        if data is not None:
            fixtures = programs_from_data(data)
        else:
            directory = options.fixtures_dir / "actionhub" if options.fixtures_dir else None
            fixtures = load_programs(directory, options.max_file_bytes)
            known = rankings.known(options.seed, directory)
        # The CLI options that size generated programs are named as the fields of Volume.
        sizes = {name: options.extra.get(name) for name in Volume._fields}
        given = {name: value for name, value in sizes.items() if value is not None}
        programs = Programs(options.seed, fixtures, Volume(**given), options.progress, known)
        return ActionHubBackend(programs, handlers(programs))


VENDOR = ActionHub()
