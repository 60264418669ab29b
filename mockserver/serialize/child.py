"""Parse a YAML data document in a child process, and hand it back as JSON: libyaml holds the
GIL while it composes a document (1.5 s at a stretch on a 4 MB one, measured), so a parse in a
server thread stalls every request; in a child it stalls nothing, a memory blow-up kills only
the child, and a parse out of time or cancelled is really stopped."""

from __future__ import annotations

import contextlib
import resource
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import orjson

#: The child's address space: far above what a --max-load-bytes document parses into.
CHILD_MEMORY = 2 * 2**30
#: Seconds between two looks at the budget while the child parses.
POLL = 0.05
EXIT_REFUSED = 3


class ChildRefusal(Exception):
    """The child refused the document: ``message``, and the limit it passed, if any."""

    def __init__(self, message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit


def load_yaml_in_child(body: bytes, stop: Callable[[], bool]) -> Any:
    """The document ``body`` holds, parsed by a child process; ``stop()`` true kills it (the
    caller then raises its own error). Raises :class:`ChildRefusal` for a refused document."""
    child = subprocess.Popen(
        [sys.executable, "-m", "mockserver.serialize.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    pending: bytes | None = body
    try:
        while True:
            if stop():  # before each wait: a parse told to stop never wins a race to its end
                raise ChildRefusal("stopped")
            try:
                out, _ = child.communicate(pending, timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                pending = None  # communicate() keeps writing what it started
    finally:
        if child.poll() is None:
            child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)
    if child.returncode == 0:
        return orjson.loads(out)
    if child.returncode == EXIT_REFUSED:
        refusal = orjson.loads(out)
        raise ChildRefusal(refusal["error"], refusal.get("limit"))
    raise ChildRefusal(
        "the document could not be parsed within the parser's memory "
        f"({CHILD_MEMORY // 2**30} GiB; exit status {child.returncode})"
    )


def main() -> int:
    """The child: YAML on stdin -> exit 0 with JSON on stdout, or :data:`EXIT_REFUSED` with
    ``{"error", "limit"?}``."""
    from mockserver.errors import InvalidDocument, LimitError
    from mockserver.serialize import load_yaml

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    try:
        document = load_yaml(sys.stdin.buffer.read())
        out = orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    except LimitError as exc:
        sys.stdout.buffer.write(orjson.dumps({"error": str(exc), "limit": exc.limit}))
        return EXIT_REFUSED
    except (InvalidDocument, UnicodeDecodeError, orjson.JSONEncodeError, RecursionError) as exc:
        sys.stdout.buffer.write(orjson.dumps({"error": str(exc)}))
        return EXIT_REFUSED
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
