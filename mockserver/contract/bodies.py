"""What a write sends in a contract run: recognisable names, and bodies a server can accept.

Every string ``name`` gets ``mockserver-contract-<seed>-<n>-`` in front (:class:`Names`: unique
in the run, findable in the account afterwards). :data:`BODY_RULES` are what a schema cannot
state, kept by *positive* cases only (as ``dependencies.py`` keeps ``x-dependencies``).
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass
from typing import Any

from mockserver.spec.model import Operation

NAME = "name"


@dataclass(frozen=True)
class BodyRule:
    #: Properties whose value is drawn from the operation's request examples.
    from_examples: tuple[str, ...] = ()
    #: Properties left out (they must name things the run cannot make).
    omit: tuple[str, ...] = ()
    #: At least one of these is sent (the first with examples is added when none is).
    any_of: tuple[str, ...] = ()


#: By operationId. SendGrid: queries are Segmentation SQL, a parent list must exist (and an
#: account's own is not the run's to name), a PATCH must change something, a time zone must be
#: an IANA name.
BODY_RULES: dict[str, BodyRule] = {
    "CreateSegmentV2": BodyRule(from_examples=("query_dsl",), omit=("parent_list_ids",)),
    "UpdateSegmentV2": BodyRule(from_examples=("query_dsl",), any_of=("name", "query_dsl")),
    "RefreshSegmentV2": BodyRule(from_examples=("user_time_zone",)),
    "UpdateList": BodyRule(any_of=("name",)),
    # Contacts: valid emails and the world's custom field ids (the examples'), no list the run
    # did not make; a search is an SGQL condition.
    "UpsertContacts": BodyRule(from_examples=("contacts",), omit=("list_ids",)),
    "SearchContacts": BodyRule(from_examples=("query",)),
    "SearchContactsByEmails": BodyRule(from_examples=("emails",)),
}


def prefix(seed: int | str) -> str:
    """What every name a run creates starts with."""
    return f"mockserver-contract-{seed}-"


class Names:
    """Unique, prefixed names for one run."""

    def __init__(self, seed: int | str) -> None:
        self.prefix = prefix(seed)
        #: A name this run gave already (a case drawn again, a link's body): numbered anew.
        self._given = re.compile("^" + re.escape(self.prefix) + r"\d+-")
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, original: str, max_length: int | None) -> str:
        with self._lock:
            number = next(self._counter)
        original = self._given.sub("", original, count=1)
        name = f"{self.prefix}{number}-{original}"
        if max_length is None:
            return name
        return name[: max(max_length, len(original))]


def example_values(op: Operation) -> dict[str, list[Any]]:
    """Property -> the values the operation's JSON request examples give it."""
    values: dict[str, list[Any]] = {}
    for example in op.request_body.examples.values() if op.request_body is not None else ():
        if isinstance(example, dict):
            for key, value in example.items():
                values.setdefault(key, []).append(value)
    return values


def name_bound(op: Operation) -> int | None:
    """The ``maxLength`` of a write body's ``name``; ``None`` without one."""
    schema = op.request_body.schema if op.request_body is not None else {}
    bound = (schema.get("properties") or {}).get(NAME, {}).get("maxLength")
    return bound if isinstance(bound, int) else None


class Shaper:
    """Shapes the body of one operation's cases (see the module docstring)."""

    def __init__(self, op: Operation, names: Names, rng: random.Random) -> None:
        self.rule = BODY_RULES.get(op.operation_id, BodyRule())
        self.examples = example_values(op)
        self.bound = name_bound(op)
        self.names = names
        self.rng = rng

    def _example(self, key: str) -> Any:
        return self.rng.choice(self.examples[key])

    def __call__(self, body: Any, positive: bool) -> Any:
        if not isinstance(body, dict):
            return body
        body = dict(body)
        if positive:
            for key in self.rule.omit:
                body.pop(key, None)
            for key in self.rule.from_examples:
                if key in body and self.examples.get(key):
                    body[key] = self._example(key)
            if self.rule.any_of and not any(key in body for key in self.rule.any_of):
                key = next((k for k in self.rule.any_of if self.examples.get(k)), None)
                if key is not None:
                    body[key] = self._example(key)
        name = body.get(NAME)
        if isinstance(name, str) and name:
            body[NAME] = self.names(name, self.bound)
        return body
