"""What a contract run created, and deleting it again: through the vendor's own DELETE.

The spec says how: a create's 2xx answer ``links`` to a ``DELETE`` operation, naming the
answer's field that holds the id (``$response.body#/id``) and the path parameter that takes it.
:class:`Created` reads every answer of the run (Schemathesis' ``after_call`` hook): it keeps the
ids creates answered with, forgets those the run deleted itself, deletes the oldest once more
than :data:`ALIVE` are alive (so a run never fills an account's segment cap), and deletes the
rest in :meth:`Created.finish` - called by the runner whatever the checks said. It also notes
every id any answer showed (:meth:`Created.foreign`): a write must never aim at one of those
unless the run created it. Answers to requests a check sends itself (``ignored_auth`` creates
without a credential) reach no hook: the runner hands each finished scenario's interactions to
the same :meth:`Created.observe`, so what those made is deleted too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mockserver.spec.model import ApiSpec

#: Created resources alive at once during a run; creating one more deletes the oldest.
ALIVE = 20
#: Ids remembered from answers (what the run must not write to); past it, the oldest go.
SEEN_IDS = 100_000
#: How a link names a field of the answer's body.
_BODY = "$response.body#"

#: ``send(method, path) -> status``: one request to the run's base URL with its headers
#: (``None`` when no answer came).
Send = Callable[[str, str], "int | None"]


@dataclass(frozen=True)
class DeleteRoute:
    """How to delete what one create made: ``DELETE path`` with ``parameter`` = the id."""

    pointer: str
    path: str
    parameter: str

    def id_in(self, body: Any) -> str | None:
        for part in self.pointer.strip("/").split("/"):
            if not isinstance(body, dict):
                return None
            body = body.get(part.replace("~1", "/").replace("~0", "~"))
        return body if isinstance(body, str) and body else None

    def target(self, identifier: str) -> str:
        return self.path.replace("{" + self.parameter + "}", quote(identifier, safe=""))


def sender(base_url: str, headers: dict[str, str], timeout: float) -> Send:
    """:data:`Send` over ``requests``: the run's headers, no redirects, ``timeout`` per request."""
    import requests

    session = requests.Session()
    session.headers.update(headers)
    lock = threading.Lock()  # the run's hooks and its event loop both delete

    def send(method: str, path: str) -> int | None:
        try:
            with lock:
                response = session.request(
                    method, base_url + path, timeout=timeout, allow_redirects=False
                )
        except requests.RequestException:
            return None
        return response.status_code

    return send


def delete_routes(spec: ApiSpec) -> dict[tuple[str, str], DeleteRoute]:
    """``(METHOD, path)`` of each create -> its delete route, read from the 2xx ``links``."""
    by_id = {op.operation_id: op for op in spec.operations}
    routes: dict[tuple[str, str], DeleteRoute] = {}
    for op in spec.operations:
        raw = spec.document["paths"][op.path][op.method.lower()]
        for status, response in (raw.get("responses") or {}).items():
            if not str(status).startswith("2"):
                continue
            for link in (response.get("links") or {}).values():
                target = by_id.get(link.get("operationId"))
                if target is None or target.method != "DELETE":
                    continue
                for name, expression in (link.get("parameters") or {}).items():
                    if isinstance(expression, str) and expression.startswith(_BODY):
                        pointer = expression[len(_BODY) :]
                        routes[(op.method, op.path)] = DeleteRoute(pointer, target.path, name)
    return routes


def _ids(body: Any, key: str = "") -> Iterator[str]:
    """Strings a JSON body holds under ``id``, ``*_id`` or ``*_ids`` keys, at any depth."""
    if isinstance(body, dict):
        for name, value in body.items():
            yield from _ids(value, name)
    elif isinstance(body, list):
        for item in body:
            yield from _ids(item, key)
    elif isinstance(body, str) and (key == "id" or key.endswith(("_id", "_ids"))):
        yield body


class Created:
    """One run's created resources: tracked from answers, deleted as it goes and at the end."""

    def __init__(
        self,
        routes: dict[tuple[str, str], DeleteRoute],
        send: Send,
        log: Callable[[str], None],
        *,
        verbose: bool = True,
    ) -> None:
        self.routes = routes
        self._send = send
        self._log = log
        #: Log every DELETE (a real deployment), or only the totals (the bundled mock).
        self.verbose = verbose
        self._lock = threading.Lock()
        #: id -> how to delete it, oldest first, for what is alive now.
        self.alive: OrderedDict[str, DeleteRoute] = OrderedDict()
        #: Every id a create answered with (alive or not).
        self.made: set[str] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.deleted = 0
        self.by_run = 0
        self.left: list[str] = []

    def is_create(self, method: str, path: str) -> bool:
        return (method.upper(), path) in self.routes

    def foreign(self, value: Any) -> bool:
        """An id some answer showed that the run did not create: not the run's to change."""
        with self._lock:
            return isinstance(value, str) and value in self._seen and value not in self.made

    def observe(self, method: str, path: str, status: int, body: Any, targets: list[str]) -> None:
        """One answer of the run: ``targets`` are the values of its path parameters."""
        method = method.upper()
        route = self.routes.get((method, path))
        ok = 200 <= status < 300
        with self._lock:
            for value in _ids(body):
                self._seen[value] = None
                if len(self._seen) > SEEN_IDS:
                    self._seen.popitem(last=False)
            made = route.id_in(body) if route is not None and ok else None
            if made is not None and made not in self.made:  # an answer is seen once or twice
                self.made.add(made)
                self.alive[made] = route
            if method == "DELETE" and ok:
                self.by_run += sum(self.alive.pop(value, None) is not None for value in targets)
            surplus = []
            while len(self.alive) > ALIVE:
                surplus.append(self.alive.popitem(last=False))
        for identifier, old in surplus:
            self._delete(identifier, old)

    def _delete(self, identifier: str, route: DeleteRoute) -> None:
        path = route.target(identifier)
        status = self._send("DELETE", path)
        answer = "no answer" if status is None else str(status)
        if self.verbose:
            self._log(f"  cleanup    DELETE {path}: {answer}")
        if status is not None and (200 <= status < 300 or status == 404):
            self.deleted += 1
        else:
            self.left.append(f"{path} ({answer})")

    def finish(self) -> list[str]:
        """Delete what is still alive; the deletions that failed (what the run left behind)."""
        with self._lock:
            rest = list(self.alive.items())
            self.alive.clear()
        for identifier, route in rest:
            self._delete(identifier, route)
        if self.made:
            self._log(
                f"  cleanup    {len(self.made)} created: {self.by_run} deleted by the run's own "
                f"steps, {self.deleted} by the cleanup, {len(self.left)} left"
            )
        return self.left
