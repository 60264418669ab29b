"""Cassettes: recorded exchanges as JSON Lines (docs/REALITY.md), read and written (``proxy
--record``). A reading refuses the whole file with every malformed line's reason."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import Scope

from mockserver.errors import DataError
from mockserver.journal.masking import Masker, Redactor, log_safe, mask_body, mask_text
from mockserver.reality.checks import ApiChecks, shown
from mockserver.reality.headers import (
    HOP_BY_HOP,
    as_text,
    content_encoding,
    decoded_body,
    end_to_end,
)
from mockserver.spec.model import Operation

if TYPE_CHECKING:
    from mockserver.reality.forward import UpstreamAnswer

VERSION = 1
#: Reasons listed in one refusal (a cassette broken on every line says so once).
SHOWN_REASONS = 20


@dataclass(frozen=True)
class RecordedExchange:
    """One recorded request and the answer it got."""

    api: str
    operation: str | None
    method: str
    path: str
    query: str
    #: Request headers that select the answer (identity, header parameters), secrets masked.
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    #: Where it was read from: ``file line N`` (empty for a fresh recording).
    origin: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    def as_line(self) -> bytes:
        document = {
            "version": VERSION,
            "api": self.api,
            "operation": self.operation,
            "request": {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "headers": dict(self.headers),
                **_body_field(self.body),
            },
            "response": {
                "status": self.status,
                "headers": [list(pair) for pair in self.response_headers],
                **_body_field(self.response_body),
            },
        }
        return orjson.dumps(document) + b"\n"


def _body_field(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


#: Answer headers a server computes per answer: the replaying server sends its own.
NOT_KEPT = frozenset({"content-length", "date", "server"})
#: Request headers kept besides the identity header and the operation's header parameters.
KEPT_REQUEST = frozenset({"content-type"})


class Recording:
    """What ``proxy --record`` writes: each exchange as a cassette line (secrets masked, personal
    values redacted, bodies whole), appended and flushed by the proxy's loop, the one writer."""

    def __init__(self, path: Path, masker: Masker, redactor: Redactor, identity: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")
        self.masker = masker
        self.redactor = redactor
        self.identity = identity.lower()

    def record(
        self,
        api: str,
        operation: Operation,
        scope: Scope,
        body: bytes,
        answer: UpstreamAnswer,
        secrets: tuple[str, ...],
    ) -> None:
        """Append the cassette form of one exchange."""
        headers = scope["headers"]
        wanted = {self.identity, *KEPT_REQUEST}
        wanted |= {p.key for p in operation.parameters if p.location == "header"}
        chosen = [(n, v) for n, v in headers if n.decode("latin-1").lower() in wanted]
        kept_headers = self.masker.header_items(chosen)
        answer_headers = as_text(end_to_end(answer.headers))
        decoded = decoded_body(answer_headers, answer.body)
        undone = decoded is not None and content_encoding(answer_headers) is not None
        kept_answer = tuple(
            (name, mask_text(self.masker.header(name, value), secrets))
            for name, value in answer_headers
            if name not in NOT_KEPT and not (undone and name == "content-encoding")
        )
        answer_media = next((v for n, v in answer_headers if n == "content-type"), None)
        exchange = RecordedExchange(
            api=api,
            operation=operation.operation_id,
            method=scope["method"],
            path=scope["path"],
            query=self.redactor.query(self.masker.query(scope["query_string"].decode("latin-1"))),
            headers=tuple(kept_headers.items()),
            body=mask_body(self.redactor.body(body, kept_headers.get("content-type")), secrets),
            status=answer.status,
            response_headers=kept_answer,
            response_body=mask_body(
                self.redactor.body(decoded if undone else answer.body, answer_media), secrets
            ),
        )
        self._file.write(exchange.as_line())
        self._file.flush()

    def close(self) -> None:
        self._file.close()


# -- reading ----------------------------------------------------------------------------------
class _Malformed(ValueError):
    """A cassette line's fault, in words."""


#: What a cassette's fields are, as a refusal names them.
_KIND_NAMES = {str: "a string", int: "an integer", dict: "an object"}


def _field(document: Mapping[str, Any], name: str, kind: type, where: str):
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Malformed(f"{where}{name} is missing or not {_KIND_NAMES[kind]}")
    return value


def _body(document: Mapping[str, Any], where: str) -> bytes:
    if "body_base64" in document:
        try:
            return base64.b64decode(_field(document, "body_base64", str, where), validate=True)
        except binascii.Error:
            raise _Malformed(f"{where}body_base64 is not base64") from None
    return _field(document, "body", str, where).encode("utf-8") if "body" in document else b""


#: A header name (RFC 9110 5.1: a token).
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Control characters a header value cannot hold (RFC 9110 5.5; HTAB allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Headers the replaying server frames the answer with itself: recorded, they would conflict
#: (two lengths, a length and chunks) or speak for a connection that is not theirs.
FRAMING = HOP_BY_HOP | {b"content-length"}


def _pairs(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        value = list(value.items())
    if not isinstance(value, list) or not all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for pair in value
    ):
        raise _Malformed(f"{where}headers must be [name, value] pairs of strings")
    for name, text in value:
        _check_header(name, text, where)
    return tuple((name.lower(), text) for name, text in value)


def _check_header(name: str, value: str, where: str) -> None:
    """A header the replaying server can send as it is, or _Malformed saying why not."""
    shown = log_safe(name, 64)
    if not _NAME.fullmatch(name):
        raise _Malformed(f"{where}headers: {shown!r} is not a header name")
    if name.lower().encode() in FRAMING:
        raise _Malformed(f"{where}headers: {shown} is a framing header (the server sets it)")
    if _CONTROL.search(value):
        raise _Malformed(f"{where}headers: {shown} has a line break or control character")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise _Malformed(f"{where}headers: {shown} is not latin-1 text") from None


def exchange_from(document: Any, origin: str) -> RecordedExchange:
    if not isinstance(document, dict):
        raise _Malformed("not a JSON object")
    if document.get("version") != VERSION:
        raise _Malformed(f"version must be {VERSION}, got {document.get('version')!r}")
    request = _field(document, "request", dict, "")
    response = _field(document, "response", dict, "")
    operation = document.get("operation")
    if operation is not None and not isinstance(operation, str):
        raise _Malformed("operation must be a string")
    method = _field(request, "method", str, "request.").upper()
    path = _field(request, "path", str, "request.")
    if not path.startswith("/"):
        raise _Malformed("request.path must start with /")
    status = _field(response, "status", int, "response.")
    if not 100 <= status <= 599:
        raise _Malformed(f"response.status {status} is not an HTTP status")
    query = request.get("query", "")
    if not isinstance(query, str):
        raise _Malformed("request.query must be a string")
    return RecordedExchange(
        api=_field(document, "api", str, ""),
        operation=operation,
        method=method,
        path=path,
        query=query.lstrip("?"),
        headers=_pairs(request.get("headers", {}), "request."),
        body=_body(request, "request."),
        status=status,
        response_headers=_pairs(response.get("headers", []), "response."),
        response_body=_body(response, "response."),
        origin=origin,
    )


def parse_cassette(
    data: bytes, source: str, checks: Mapping[str, ApiChecks] | None = None
) -> list[RecordedExchange]:
    """Every exchange of a cassette, checked against ``checks`` when given; any malformed line
    or contradicted exchange refuses the whole file (DataError, every reason)."""
    exchanges, reasons = [], []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        origin = f"{source} line {number}"
        try:
            exchanges.append(exchange_from(orjson.loads(line), origin))
        except orjson.JSONDecodeError as exc:
            reasons.append(f"{origin}: not valid JSON ({exc})")
        except _Malformed as exc:
            reasons.append(log_safe(f"{origin}: {exc}"))
    if not reasons and not exchanges:
        raise DataError(f"{source}: no exchange (one JSON object per line)")
    if not reasons and checks is not None:
        reasons = [log_safe(f"{e.origin}: {r}") for e in exchanges for r in _problems(e, checks)]
    if len(reasons) > SHOWN_REASONS:
        reasons = [*reasons[:SHOWN_REASONS], f"... and {len(reasons) - SHOWN_REASONS} more"]
    if reasons:
        raise DataError(reasons)
    return exchanges


def _problems(exchange: RecordedExchange, checks: Mapping[str, ApiChecks]) -> list[str]:
    """Why the served specs contradict an exchange."""
    api_checks = checks.get(exchange.api)
    if api_checks is None:
        return [f"api {exchange.api!r} is not served (served: {', '.join(checks)})"]
    route = api_checks.route(exchange.method, exchange.path)
    if route is None or route.operation is None:
        what = "path" if route is None else "method"
        return [f"{exchange.label}: the {exchange.api} spec declares no such {what}"]
    operation = route.operation
    if exchange.operation not in (None, operation.operation_id):
        return [f"{exchange.label} is {operation.operation_id}, not {exchange.operation}"]
    violations = api_checks.response_violations(
        operation, exchange.status, exchange.response_headers, exchange.response_body
    )
    where = f"{exchange.label} -> {exchange.status}"
    return [f"{where}: {shown(violation)}" for violation in violations if violation.breaking]


def read_file(path: Path, what: str = "") -> bytes:
    """``path``'s bytes, or a DataError saying why not."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {what}{path}: {exc.strerror or exc}") from None
