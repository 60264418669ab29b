"""What a contract run created, deleted again through the DELETE a create's 2xx answer ``links``
to (docs/CONTRACT.md, "Write operations"): at most :data:`ALIVE` stay alive, so a run never
fills an account's segment cap."""

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
#: How a link names a field of the answer's body.
_BODY = "$response.body#"


@dataclass(frozen=True)
class Answer:
    #: ``None`` when no answer came.
    status: int | None
    #: The JSON body (``None`` when there was none, or not JSON).
    body: Any = None


#: ``send(method, path)``: one request to the run's base URL with its headers.
Send = Callable[[str, str], Answer]


@dataclass(frozen=True)
class DeleteRoute:
    """How to delete what one create made: ``DELETE path`` with ``parameter`` = the id; and
    where to list what creates made (a ``GET`` of the create's own path, if the spec has one)."""

    pointer: str
    path: str
    parameter: str
    collection: str | None = None

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

    def send(method: str, path: str) -> Answer:
        try:
            with lock:
                response = session.request(
                    method, base_url + path, timeout=timeout, allow_redirects=False
                )
                body = response.json() if response.content else None
        except ValueError:
            return Answer(response.status_code)
        except requests.RequestException:
            return Answer(None)
        return Answer(response.status_code, body)

    return send


def delete_routes(spec: ApiSpec) -> dict[tuple[str, str], DeleteRoute]:
    """``(METHOD, path)`` of each create -> its delete route: a 2xx answer's ``links`` to a
    DELETE, or the operation's ``x-deleted-by`` (a link object that is not a link: a create
    with links is an entry point of Schemathesis' stateful phase, and while one such create
    is a POST free of references, a create that references what nothing makes - a v2
    segment's ``parent_list_ids`` - starts no chain at all)."""
    by_id = {op.operation_id: op for op in spec.operations}
    listed = {op.path for op in spec.operations if op.method == "GET"}
    routes: dict[tuple[str, str], DeleteRoute] = {}
    for op in spec.operations:
        raw = spec.document["paths"][op.path][op.method.lower()]
        links = [raw["x-deleted-by"]] if "x-deleted-by" in raw else []
        for status, response in (raw.get("responses") or {}).items():
            if str(status).startswith("2"):
                links += (response.get("links") or {}).values()
        for link in links:
            target = by_id.get(link.get("operationId"))
            if target is None or target.method != "DELETE":
                continue
            for name, expression in (link.get("parameters") or {}).items():
                if isinstance(expression, str) and expression.startswith(_BODY):
                    pointer = expression[len(_BODY) :]
                    collection = op.path if op.path in listed else None
                    routes[(op.method, op.path)] = DeleteRoute(
                        pointer, target.path, name, collection
                    )
    return routes


def _nodes(body: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every value of a JSON body at any depth, with its key (a list item: the list's)."""
    yield key, body
    if isinstance(body, dict):
        for name, value in body.items():
            yield from _nodes(value, name)
    elif isinstance(body, list):
        for item in body:
            yield from _nodes(item, key)


def _ids(body: Any) -> Iterator[str]:
    """Strings a JSON body holds under ``id``, ``*_id`` or ``*_ids`` keys."""
    for key, value in _nodes(body):
        if isinstance(value, str) and (key == "id" or key.endswith(("_id", "_ids"))):
            yield value


class Created:
    """One run's created resources: tracked from answers, deleted as it goes and at the end."""

    def __init__(
        self,
        routes: dict[tuple[str, str], DeleteRoute],
        send: Send,
        log: Callable[[str], None],
        *,
        prefix: str,
        verbose: bool = True,
    ) -> None:
        self.routes = routes
        self._send = send
        self._log = log
        #: What every name the run gives starts with: the sweep at the end finds them by it.
        self.prefix = prefix
        #: Log every DELETE (a real deployment), or only the totals (the bundled mock).
        self.verbose = verbose
        self._lock = threading.Lock()
        #: id -> how to delete it, oldest first, for what is alive now.
        self.alive: OrderedDict[str, DeleteRoute] = OrderedDict()
        #: Every id a create answered with (alive or not).
        self.made: set[str] = set()
        #: Every id an answer showed: never forgotten (the account's ids bound it), as a
        #: forgotten one could be written to.
        self._seen: set[str] = set()
        self.deleted = 0
        self.by_run = 0
        self.swept = 0
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
            self._seen.update(_ids(body))
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
        status = self._send("DELETE", path).status
        answer = "no answer" if status is None else str(status)
        if self.verbose:
            self._log(f"  cleanup    DELETE {path}: {answer}")
        if status is not None and (200 <= status < 300 or status == 404):
            self.deleted += 1
        else:
            self.left.append(f"could not delete {path} ({answer}): delete it by hand")

    def _sweep(self) -> None:
        """Delete what the lists show under the run's prefix: what a check's own request made
        (no hook sees its answer) in a run stopped before its scenario ended."""
        listed = {route.collection: route for route in self.routes.values() if route.collection}
        for collection, route in listed.items():
            answer = self._send("GET", collection)
            if answer.status is None or not 200 <= answer.status < 300:
                status = answer.status or "no answer"
                self.left.append(
                    f"could not list {collection} ({status}): look for names starting with "
                    f"{self.prefix} and delete them by hand"
                )
                continue
            for _, found in _nodes(answer.body):
                name = found.get("name") if isinstance(found, dict) else None
                identifier = route.id_in(found)
                if isinstance(name, str) and name.startswith(self.prefix) and identifier:
                    self.swept += 1
                    self._delete(identifier, route)

    def finish(self) -> list[str]:
        """Delete what is still alive, then what the lists still show under the run's prefix;
        the deletions that failed (what the run left behind)."""
        with self._lock:
            rest = list(self.alive.items())
            self.alive.clear()
        for identifier, route in rest:
            self._delete(identifier, route)
        self._sweep()
        if self.made or self.swept:
            self._log(
                f"  cleanup    {len(self.made)} created, {self.swept} more found by their "
                f"{self.prefix} names: {self.by_run} deleted by the run's own steps, "
                f"{self.deleted} by the cleanup, {len(self.left)} left"
            )
        return self.left
