"""TCP servers that misbehave below HTTP: silent, dripping, resetting, answering garbage."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable

Behaviour = Callable[[socket.socket, threading.Event], None]


def silent(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request, never answers."""
    stop.wait()


def slow(conn: socket.socket, stop: threading.Event) -> None:
    """Answers every request completely, each after half a second."""
    while not stop.wait(0.5):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )
        if not conn.recv(65536):
            return


def dripping(conn: socket.socket, stop: threading.Event) -> None:
    """Answers a status line and headers, then one body byte every 0.3 s: every read gets
    something, so a per-read timeout never fires."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    )
    while not stop.wait(0.3):
        conn.sendall(b" ")


def resetting(conn: socket.socket, stop: threading.Event) -> None:
    """Closes with a TCP reset instead of answering."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    """Answers bytes that are not HTTP."""
    conn.sendall(b"\x00\x01SSH-2.0-not-http\r\n\r\n")


class OnceThen:
    """Answers the first request it gets (the run's check that the server answers at all), then
    treats every other connection with ``behaviour``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.answered = threading.Event()

    def __call__(self, conn: socket.socket, stop: threading.Event) -> None:
        if not self.answered.is_set():
            self.answered.set()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            return
        self.behaviour(conn, stop)


class RogueServer:
    """Accepts on 127.0.0.1 and treats every connection with ``behaviour``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                self.behaviour(conn, self.stop)
            except OSError:
                pass

    def __enter__(self) -> RogueServer:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.listener.close()
