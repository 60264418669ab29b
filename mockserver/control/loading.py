"""A data load over HTTP: a bounded body, numbered on arrival, built in a daemon thread under a
:class:`~mockserver.budget.Budget` (docs/ARCHITECTURE.md, "Control plane")."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from mockserver.budget import LOAD_TIMEOUT_FLAG, Budget
from mockserver.control import actions
from mockserver.control.actions import ControlTarget
from mockserver.errors import ControlError, InvalidDocument, LimitError
from mockserver.numbers import parse_int
from mockserver.params.body import receive_body
from mockserver.progress import REPORTER, Reporter
from mockserver.serialize.child import ChildRefusal, load_yaml_in_child

log = logging.getLogger("mockserver")

MAX_LOAD_FLAG = "--max-load-bytes"
#: Bytes of YAML the safe loader reads per second (1.6 MB: ~12 s): past ~1 s, progress shows.
YAML_BYTES_PER_SECOND = 150_000
T = TypeVar("T")


def too_large(limit: int, flag: str = MAX_LOAD_FLAG) -> ControlError:
    return ControlError(
        f"the request body is larger than {limit:,} bytes ({flag}); nothing was changed",
        status=413,
        limit=flag,
    )


async def read_body(request: Request, limit: int, timeout: float, flag: str = MAX_LOAD_FLAG):
    """The body, refused (413) as soon as it passes ``limit`` bytes - from its Content-Length
    before anything is read, else while it streams - and (408) if it is not in within
    ``timeout`` seconds. Never holds more than ``limit`` bytes plus one chunk."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if parse_int(declared.strip()) > limit:
                raise too_large(limit, flag)
        except ValueError:
            raise ControlError("Content-Length is not a whole number") from None

    async def stream() -> bytes:
        body = await receive_body(request.receive, limit)
        if body is None:  # nobody to answer; not a bug to log
            raise ControlError("the client disconnected before its body was in")
        if not isinstance(body, bytes):
            raise too_large(limit, flag)
        return body

    try:
        return await asyncio.wait_for(stream(), timeout)
    except asyncio.TimeoutError:
        raise ControlError(
            f"the request body did not arrive within {LOAD_TIMEOUT_FLAG} {timeout:g} s",
            status=408,
            limit=LOAD_TIMEOUT_FLAG,
        ) from None


async def in_daemon_thread(work: Callable[[], T], name: str) -> T:
    """``work()`` in a new daemon thread, awaited: the event loop stays free, and a thread
    still running at exit does not hold the process (SIGTERM exits on time)."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the awaiting task, raised there
                future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await asyncio.wrap_future(future)


def isolated(budget: Budget, progress: Reporter = REPORTER) -> Callable[[bytes], Any]:
    """``serialize.load_yaml`` in a child process (``serialize.child``), stopped with the load;
    a big document reports its progress."""

    def load(body: bytes) -> Any:
        what = budget.what.removeprefix("the ")
        with progress.task(what, len(body) / YAML_BYTES_PER_SECOND) as task:
            task.step(0.0, "parsing YAML")
            try:
                document = load_yaml_in_child(body, lambda: budget.spent)
            except ChildRefusal as refusal:
                if budget.spent:
                    budget.check()  # raises the budget's own error (408 or cancelled)
                if refusal.limit is not None:
                    raise LimitError(refusal.message, limit=refusal.limit) from None
                raise InvalidDocument(refusal.message) from None
            task.finish(f"{len(body):,} bytes of YAML", verb="parsed")
            return document

    return load


async def watch_disconnect(request: Request, budget: Budget) -> None:
    """Cancel ``budget`` when the client goes away (the body is read: the next message the
    server has for this request is ``http.disconnect``)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            budget.cancel("the client disconnected")
            return


async def load_over_http(target: ControlTarget, api: str, request: Request) -> int:
    """``PUT /__mockserver/data/{api}``: read, number, build, land - or change nothing.
    Returns the version that landed."""
    limits = target.limits
    actions.runtime_of(target, api)
    body = await read_body(request, limits.max_bytes, limits.timeout)
    content_type = request.headers.get("content-type", "")
    budget = Budget(limits.timeout, f"the {api} data load")
    version = actions.begin_load(target, api)
    overtaken, target.loads[api] = target.loads.get(api), budget
    if overtaken is not None:
        overtaken.cancel("a newer load began")

    def parse_build_land() -> int:
        progress = target.runtimes[api].options.progress
        document = actions.parse_document(body, content_type, load=isolated(budget, progress))
        return actions.build_load(target, api, version, document, budget)()

    log.info("%s data load: building version %d from %d bytes", api, version, len(body))
    watcher = asyncio.ensure_future(watch_disconnect(request, budget))
    try:
        return await in_daemon_thread(parse_build_land, f"mockserver-load-{api}")
    except asyncio.CancelledError:
        budget.cancel("the server is shutting down")
        raise
    except ControlError as exc:
        if budget.cancelled is not None:
            log.warning("%s data load stopped: %s; nothing was changed", api, budget.cancelled)
        elif exc.status == 408:
            log.warning("%s data load stopped after %s %gs", api, LOAD_TIMEOUT_FLAG, limits.timeout)
        raise
    finally:
        watcher.cancel()
        if target.loads.get(api) is budget:
            del target.loads[api]
