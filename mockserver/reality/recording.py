"""What ``proxy --record`` writes of one exchange (docs/REALITY.md, "Cassettes"): secrets masked,
personal values redacted, bodies masked whole, never cut."""

from __future__ import annotations

from pathlib import Path

from starlette.types import Scope

from mockserver.journal.masking import Masker, Redactor, mask_body, mask_text
from mockserver.reality.cassette import RecordedExchange
from mockserver.reality.forward import UpstreamAnswer
from mockserver.reality.headers import (
    as_text,
    content_encoding,
    decoded_body,
    end_to_end,
)
from mockserver.spec.model import Operation

#: Answer headers a server computes per answer: the replaying server sends its own.
NOT_KEPT = frozenset({"content-length", "date", "server"})
#: Request headers kept besides the identity header and the operation's header parameters.
KEPT_REQUEST = frozenset({"content-type"})


class Recording:
    """Turns proxied exchanges into cassette lines, appended to ``path`` and flushed as written
    (by the proxy's event loop: one writer)."""

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
        media = dict(as_text(headers)).get("content-type")
        answer_headers = as_text(end_to_end(answer.headers))
        decoded = decoded_body(answer_headers, answer.body)
        undone = decoded is not None and content_encoding(answer_headers) is not None
        decoded = answer.body if decoded is None else decoded
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
            body=mask_body(self.redactor.body(body, media), secrets),
            status=answer.status,
            response_headers=kept_answer,
            response_body=mask_body(self.redactor.body(decoded, answer_media), secrets),
        )
        self._file.write(exchange.as_line())
        self._file.flush()

    def close(self) -> None:
        self._file.close()
