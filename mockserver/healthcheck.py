"""``python -m mockserver.healthcheck``: exit 0 when the mock on this machine answers healthy.
A probe cannot read a Secret into an HTTP header, so the check runs inside the container, with
the control token from its environment. Standard library only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

from mockserver.control import PREFIX

#: The control token from the environment (``serve`` reads it; unlike ``--control-token``, not
#: shown by ps to other users), and where a container's health check finds it.
TOKEN_ENV = "MOCKSERVER_CONTROL_TOKEN"
TOKEN_HEADER = "X-Mockserver-Token"
HEALTH_PATH = f"{PREFIX}/health"


def check(port: int, env: Mapping[str, str], timeout: float = 3.0) -> str | None:
    """``None`` when healthy, else why not."""
    import urllib.error  # here: ``serve`` imports this module for TOKEN_ENV, not for HTTP
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{HEALTH_PATH}")
    token = env.get(TOKEN_ENV)
    if token:
        request.add_header(TOKEN_HEADER, token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return f"health answered {exc.code}"
    except (OSError, ValueError) as exc:
        return f"no health answer: {exc}"
    return None if body.get("status") == "ok" else f"unhealthy: {body}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockserver.healthcheck")
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args(argv)
    problem = check(args.port, os.environ)
    if problem:
        print(f"mockserver healthcheck: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
