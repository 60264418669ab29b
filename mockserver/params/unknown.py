"""Query parameters an operation does not declare: ignored as both vendors do (a client's
``ids[]=a`` or misspelt name silently applies no filter there), but never silently here.
Header names are not checked: clients and proxies add many no spec declares."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.params.decode import DELIMITERS, primary_type, takes_many
from mockserver.params.errors import ParamError
from mockserver.params.grammar import STRICT, Grammar
from mockserver.spec.model import Operation, Parameter

WARNING_HEADER = "x-mockserver-warning"
#: Unknown names reported one by one (warning, header, strict error); the rest are counted in
#: one more warning, so a hostile query string cannot make an answer grow without bound.
MAX_REPORTED = 20
#: Longer names are cut in warnings (a header line stays readable).
MAX_SHOWN_CHARS = 80
#: qs/axios spellings of an array or object parameter: ``ids[]``, ``ids[0]``, ``filter[name]``.
_BRACKETED = re.compile(r"([^\[\]]+)\[[^\]]*\]")
#: How alike a name must be to a declared one to be suggested (difflib's ratio).
SIMILAR = 0.8


def shown(name: str) -> str:
    """A name as warnings quote it: JSON-quoted (ASCII, no control characters), cut if long."""
    if len(name) > MAX_SHOWN_CHARS:
        name = name[:MAX_SHOWN_CHARS] + "..."
    return json.dumps(name)


def warning_headers(warnings: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((WARNING_HEADER, warning) for warning in warnings)


def _one_value(param: Parameter, grammar: Grammar) -> str:
    """The rest of the warning about a one-value name sent more than once."""
    read = f"only the {grammar.repeated} value is read"
    if primary_type(param.schema) != "array":
        return read
    delimiter = DELIMITERS.get(param.style, ",")
    return f"{read} (send the items in one value: {param.name}=a{delimiter}b)"


def _folded(name: str) -> str:
    """``parentListIds``, ``Parent-List-IDs`` and ``parent_list_ids`` fold alike."""
    return re.sub(r"[\W_]", "", name).lower()


@dataclass(frozen=True, slots=True)
class UnknownParams:
    """One request's unknown query names: its warnings, as headers too, and strict errors."""

    warnings: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    errors: tuple[ParamError, ...]


class QueryNames:
    """The query names one operation declares, and what to make of any other."""

    def __init__(
        self,
        operation: Operation,
        schemes: Mapping[str, Mapping[str, Any]],
        grammar: Grammar = STRICT,
    ) -> None:
        query = [p for p in operation.parameters if p.location == "query"]
        # A query API key of the operation's security schemes is a name it reads too.
        keys = {
            schemes.get(name, {}).get("name")
            for requirement in operation.security
            for name in requirement
            if schemes.get(name, {}).get("type") == "apiKey"
            and schemes.get(name, {}).get("in") == "query"
        }
        self.declared = frozenset(p.name for p in query) | {key for key in keys if key}
        #: ``style: deepObject`` parameters own every ``name[key]``.
        self.deep = frozenset(p.name for p in query if p.style == "deepObject")
        self._folded = {_folded(name): name for name in sorted(self.declared)}
        #: Names that take one value -> what a warning about their repetition adds.
        self.single = {p.name: _one_value(p, grammar) for p in query if not takes_many(p)}

    def known(self, name: str) -> bool:
        if name in self.declared:
            return True
        match = _BRACKETED.match(name) if self.deep else None
        return match is not None and match.group(1) in self.deep

    def meant(self, name: str) -> str | None:
        """The declared name ``name`` probably stands for: ``ids[]``/``ids[0]`` -> ``ids``,
        ``parentListIds`` -> ``parent_list_ids``, ``segmnet_type`` -> ``segment_type``."""
        match = _BRACKETED.match(name)
        if match and match.group(1) in self.declared:
            return match.group(1)
        folded = self._folded.get(_folded(name))
        if folded is not None:
            return folded
        if len(name) > MAX_SHOWN_CHARS:
            return None
        import difflib  # on the first misspelt name: start-up does without it

        close = difflib.get_close_matches(name, sorted(self.declared), n=1, cutoff=SIMILAR)
        return close[0] if close else None

    def unknown(self, query: Mapping[str, list[str]]) -> UnknownParams | None:
        """The request's unknown and repeated one-value names, or ``None``: none."""
        names = [name for name in query if not self.known(name)]
        repeated = [
            f"query parameter {shown(name)} sent {len(query[name])} times: {self.single[name]}"
            for name in self.single
            if len(query.get(name, ())) > 1
        ]
        if not names and not repeated:
            return None
        warnings, errors = repeated, []
        for name in names[:MAX_REPORTED]:
            meant = self.meant(name)
            hint = f" (did you mean {shown(meant)}?)" if meant else ""
            warnings.append(f"unknown query parameter {shown(name)}{hint}")
            values = query[name]
            # FastAPI hands pydantic one value as itself, a repeated name as the list.
            value = values[0] if len(values) == 1 else values
            ctx = {"suggestion": meant} if meant else None
            errors.append(ParamError("extra_forbidden", "query", name, value, ctx))
        if len(names) > MAX_REPORTED:
            warnings.append(f"{len(names) - MAX_REPORTED} more unknown query parameters")
        return UnknownParams(tuple(warnings), warning_headers(warnings), tuple(errors))
