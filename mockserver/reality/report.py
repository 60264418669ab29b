"""What ``mockserver verify`` finds (how two JSON answers' structures differ) and prints (each
difference once per operation, a summary per operation, a verdict; every line masked), and the
same as JUnit XML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.contract.report import Output
from mockserver.contract.results import ARRAY_INDEX
from mockserver.journal.masking import log_safe
from mockserver.junit import Case, Problem, write_junit


@dataclass(frozen=True)
class Difference:
    """How the real answer departs from the mock's: ``where`` (status, media type, spec, body,
    answer), the JSON ``path``, what each side has."""

    where: str
    path: str
    mock: str
    real: str
    breaking: bool

    @property
    def key(self) -> tuple[str, str, bool, str, str]:
        """Differences alike across requests (array indices, and the values a spec violation
        quotes, aside)."""
        sides = ("", "") if self.where == "spec" else (self.mock, self.real)
        return (self.where, ARRAY_INDEX.sub("/*", self.path), self.breaking, *sides)

    def text(self) -> str:
        where = f"{self.where} {self.path}".rstrip()
        return f"{where}: mock {self.mock}, real {self.real}"


ITEMS = "*"
BODY = "body"
#: The JSON type of each Python type a JSON parser gives.
JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


Shape = dict[str, set[str]]


def shape(value: Any, path: str = "", found: Shape | None = None) -> Shape:
    """JSON pointer (array items as ``*``) -> the JSON types found there."""
    found = {} if found is None else found
    found.setdefault(path, set()).add(JSON_TYPES[type(value)])
    if isinstance(value, dict):
        for key, child in value.items():
            segment = str(key).replace("~", "~0").replace("/", "~1")  # JSON pointer (RFC 6901)
            shape(child, f"{path}/{segment}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}/{ITEMS}", found)
    return found


def _shown(types: set[str]) -> str:
    return " or ".join(sorted(types))


def _holds(other: Shape, path: str) -> bool:
    """Could ``other`` have had ``path``? Only if its parent is an object there; a missing
    array item (an empty array) or a child of ``null`` is a value, not a structure."""
    if path.endswith(f"/{ITEMS}"):
        return False
    return "object" in other.get(path.rpartition("/")[0], ())


def compare(mock_document: Any, real_document: Any) -> list[Difference]:
    """How the real answer's structure departs from the mock's, topmost first: a path absent
    from it or retyped breaks a consumer built on the mock, a path only in it does not. Values,
    array lengths, ``null`` against a value, integer against fraction legitimately vary."""
    mock, real = shape(mock_document), shape(real_document)
    changes = []
    for path in sorted(mock.keys() | real.keys()):
        in_mock, in_real = mock.get(path, set()), real.get(path, set())
        if not in_real:
            if _holds(real, path):
                changes.append(Difference(BODY, path, _shown(in_mock), "missing", True))
        elif not in_mock:
            if _holds(mock, path):
                changes.append(Difference(BODY, path, "missing", _shown(in_real), False))
        else:
            left, right = in_mock - {"null"}, in_real - {"null"}
            if left and right and not left & right:
                changes.append(Difference(BODY, path or "/", _shown(left), _shown(right), True))
    return changes


@dataclass
class Seen:
    difference: Difference
    request: str
    more: int = 0


@dataclass
class OperationTally:
    label: str
    requests: int = 0
    distinct: int = 0
    seen: dict[tuple[str, str, bool, str, str], Seen] = field(default_factory=dict)
    #: Requests not sent (a write without --allow-writes, a path leaving the base URL's host).
    refused: list[tuple[str, str]] = field(default_factory=list)

    def add(self, request: str, differences: list[Difference], times: int) -> None:
        self.requests += times
        self.distinct += 1
        for difference in differences:  # the first request showing it, and how many more did
            self.seen.setdefault(difference.key, Seen(difference, request, more=-1)).more += 1

    def refuse(self, request: str, reason: str, times: int) -> None:
        self.requests += times
        self.refused.append((request, reason))

    @property
    def breaking(self) -> list[Seen]:
        return [s for s in self.seen.values() if s.difference.breaking]

    @property
    def warnings(self) -> list[Seen]:
        return [s for s in self.seen.values() if not s.difference.breaking]


def line(seen: Seen) -> str:
    level = "BREAKING" if seen.difference.breaking else "WARNING "
    more = f" (+{seen.more} more request{'s' if seen.more > 1 else ''})" if seen.more else ""
    return f"{level} {log_safe(seen.request)}: {seen.difference.text()}{more}"


class VerifyReport(Output):
    def differences(self, tallies: list[OperationTally]) -> None:
        for tally in tallies:
            for seen in [*tally.breaking, *tally.warnings]:
                self.emit(line(seen))
            for request, reason in tally.refused:
                self.emit(f"REFUSED  {log_safe(request)}: not sent: {reason}")

    def summary(self, api: str, tallies: list[OperationTally], against: str, seconds: float):
        self.emit()
        for tally in tallies:
            breaking, warnings = len(tally.breaking), len(tally.warnings)
            verdict = (
                f"{breaking} breaking, {warnings} warning(s)" if breaking or warnings else "ok"
            )
            if tally.refused:
                verdict += f", {len(tally.refused)} not sent"
            self.emit(
                f"  {tally.label}: {tally.requests} request(s), {tally.distinct} distinct: "
                f"{verdict}"
            )
        breaking = sum(len(t.breaking) for t in tallies)
        warnings = sum(len(t.warnings) for t in tallies)
        requests = sum(t.distinct for t in tallies)
        refused = sum(len(t.refused) for t in tallies)
        verdict = "FAILED" if breaking else "PASSED" if requests else "NOTHING SENT"
        self.emit(
            f"{verdict} {api}: {breaking} breaking difference(s), {warnings} warning(s); "
            f"{requests} distinct request(s) sent to the bundled mock and {against} "
            f"in {seconds:.1f}s" + (f"; {refused} refused, not sent" if refused else "")
        )

    def junit(self, api: str, tallies: list[OperationTally], path: Path, seconds: float) -> None:
        cases = []
        for tally in tallies:
            problem = None
            if tally.breaking:
                text = "\n".join(line(seen) for seen in tally.breaking)
                message = f"{len(tally.breaking)} breaking difference(s)"
                problem = Problem("failure", message, text, type="drift")
            output = [f"{tally.requests} request(s), {tally.distinct} distinct"]
            output += [line(seen) for seen in tally.warnings]
            cases.append(Case(api, tally.label, problem, "\n".join(output)))
        write_junit(path, f"mockserver verify {api}", cases, seconds=seconds, mask=self.mask)
