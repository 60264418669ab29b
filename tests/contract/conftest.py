"""Helpers for contract tests: any ASGI app on a free loopback port, and the CLI in-process."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import uvicorn

from mockserver.cli import parser
from mockserver.cli.flags import options
from mockserver.contract.options import ContractOptions
from mockserver.contract.runner import run


class AppServer:
    """Serve ``app`` on 127.0.0.1 in a thread; the socket is bound before the thread starts."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        host, port = self._socket.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level="critical", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> AppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def invoke(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``mockserver contract ARGS`` in-process with ``env`` as the environment: (code, out, err)."""
    parsed = parser().parse_args(["contract", *args])
    out, err = io.StringIO(), io.StringIO()
    code = run(options(parsed, ContractOptions), env or {}, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bad_server() -> Iterator[AppServer]:
    """The non-conforming SendGrid server of ``bad_server.py``."""
    from tests.contract.bad_server import app

    with AppServer(app) as server:
        yield server
