"""Build the answers a ``Prefer`` header, a scenario or a fault forces on one operation: the
spec's own examples (serialized once), or ``dynamic=true``'s generated ones."""

from __future__ import annotations

from typing import Any

from mockserver.params.errors import ParamError
from mockserver.runtime import ApiRuntime
from mockserver.scenarios.prefer import HEADER
from mockserver.serialize import json_bytes
from mockserver.spec.model import Operation
from mockserver.state.values import FAULT_STATUSES, Preference
from mockserver.vendors.interface import Call, Reply

#: Reason phrases for an error answer the spec gives no example for.
REASONS = {500: "Internal Server Error", 503: "Service Unavailable"}


def _body(media: str, value: Any) -> bytes:
    if "json" in media:
        return json_bytes(value)
    return value.encode() if isinstance(value, str) else json_bytes(value)


class Responder:
    """The forced answers of one operation; compiled with its pipeline at start-up."""

    def __init__(self, runtime: ApiRuntime, operation: Operation) -> None:
        self.runtime = runtime
        self.operation = operation
        self.success = operation.success[0]
        declared = [int(code) for code in operation.responses if code.isdigit()]
        self.codes = [f"code={code}" for code in operation.responses]
        self.error_statuses = tuple(s for s in FAULT_STATUSES if s in declared) or (503,)
        #: example name -> status of the first response (success first) that holds it.
        self.example_status: dict[str, int] = {}
        for code in sorted(declared, key=lambda c: (c != self.success, declared.index(c))):
            for media in operation.responses[str(code)].content.values():
                for name in media.examples:
                    self.example_status.setdefault(name, code)
        self._static: dict[tuple[int, str | None], Reply] = {}

    # -- validation ----------------------------------------------------------------------------
    def check(self, preference: Preference, raw: str | None = None) -> ParamError | None:
        """The reason ``preference`` cannot be honoured by this operation, or ``None``."""
        shown = raw if raw is not None else _render(preference)
        if preference.code is not None and not self.operation.declares(preference.code):
            return ParamError("enum", "header", HEADER, shown, {"expected": self.codes})
        if preference.example is not None:
            names = self._examples_of(preference.code)
            if preference.example not in names:
                expected = [f"example={name}" for name in names] or ["<no examples declared>"]
                return ParamError("enum", "header", HEADER, shown, {"expected": expected})
        return None

    def _examples_of(self, code: int | None) -> list[str]:
        if code is None:
            return list(self.example_status)
        response = self.operation.response_for(code)
        if response is None:
            return []
        return list(dict.fromkeys(n for m in response.content.values() for n in m.examples))

    # -- answers -------------------------------------------------------------------------------
    def reply(self, preference: Preference, call: Call) -> Reply | None:
        """The forced answer, or ``None`` when the operation's own behaviour should answer."""
        code = preference.code
        if preference.dynamic:
            return self.modelled(self.runtime.generated_reply(call, code), call)
        if preference.example is not None:
            status = code if code is not None else self.example_status[preference.example]
            return self.static(status, preference.example, call)
        if code is None or code == self.success:
            return None
        return self.static(code, call=call)

    def static(self, status: int, example: str | None = None, call: Call | None = None) -> Reply:
        """The spec's example for ``status`` (named, or the first one), cached as bytes; with
        ``call``, its modelled headers are the backend's for that call."""
        key = (status, example)
        reply = self._static.get(key)
        if reply is None:
            reply = self._static[key] = self._build(status, example)
        return reply if call is None else self.modelled(reply, call)

    def modelled(self, reply: Reply, call: Call) -> Reply:
        """``reply`` with the values the backend's model gives the headers it governs (a forced
        429: ``X-RateLimit-Remaining: 0``, a reset to come) in place of generated ones; headers
        the spec does not put on this answer are not added."""
        if not reply.headers:
            return reply
        governed = self.runtime.backend.answer_headers(call, reply.status)
        values = {name.lower(): (name, value) for name, value in governed}
        if not values:
            return reply
        headers = tuple(values.get(name.lower(), (name, value)) for name, value in reply.headers)
        return reply._replace(headers=headers)

    def _build(self, status: int, example: str | None) -> Reply:
        response = self.operation.response_for(status)
        if response is None:
            return self.runtime.dialect.error(status, REASONS.get(status, "Error"))
        key = (self.operation.operation_id, f"@{status}", example)
        headers = self.runtime.faker.headers(response, *key)
        for media, spec in response.content.items():
            if example is None and spec.examples:
                example = next(iter(spec.examples))
            if example in spec.examples:
                return Reply(status, _body(media, spec.examples[example]), media, headers)
        if response.content:
            call = Call(self.operation, {}, {})
            return self.runtime.generated_reply(call, status)
        return Reply(status, b"", None, headers)


def _render(preference: Preference) -> str:
    """``preference`` as a ``Prefer`` header says it."""
    dynamic = "true" if preference.dynamic else None
    parts = {"code": preference.code, "example": preference.example, "dynamic": dynamic}
    return ", ".join(f"{name}={value}" for name, value in parts.items() if value is not None)
