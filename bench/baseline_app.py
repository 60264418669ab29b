"""The benchmark's baseline: a bare Starlette app on uvicorn serving the mock's captured bytes.

It does what any Python web app must do to answer (uvicorn, Starlette routing, a prebuilt
Response) and nothing else, so the ratio mock / baseline is the cost of the mock's own work.

Usage: python bench/baseline_app.py CAPTURED.json --port N [--workers N]
CAPTURED.json is a list of {path, query, status, headers: [[name, value]], body_b64} and, for a
write, {method, json}: the route's method (default GET) and whether the handler parses the
request's JSON body first, with orjson as the mock does; a path may be a Starlette template
(``/lists/{id}``). bench/load.py writes it from the mock's answers.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ENV = "BASELINE_CAPTURED"


def build_app(captured: Path) -> Starlette:
    answers: dict[tuple[str, str, bool], dict[bytes, Response]] = {}
    for entry in json.loads(captured.read_text(encoding="utf-8")):
        response = Response(
            base64.b64decode(entry["body_b64"]),
            status_code=entry["status"],
            headers=dict(entry["headers"]),
        )
        route = (entry["path"], entry.get("method", "GET"), entry.get("json", False))
        answers.setdefault(route, {})[entry["query"].encode("latin-1")] = response

    def endpoint_for(by_query: dict[bytes, Response], parses: bool):
        async def endpoint(request: Request) -> Response:
            return by_query[request.scope["query_string"]]

        async def parsing_endpoint(request: Request) -> Response:
            orjson.loads(await request.body())
            return by_query[request.scope["query_string"]]

        return parsing_endpoint if parses else endpoint

    return Starlette(
        routes=[
            Route(path, endpoint_for(by_query, parses), methods=[method])
            for (path, method, parses), by_query in answers.items()
        ]
    )


def create_app() -> Starlette:
    """Factory for uvicorn workers: the captured file comes from the environment."""
    return build_app(Path(os.environ[ENV]))


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captured", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = {"host": "127.0.0.1", "port": args.port, "log_level": "warning", "access_log": False}
    if args.workers > 1:
        os.environ[ENV] = str(args.captured.resolve())
        uvicorn.run(
            "baseline_app:create_app",
            factory=True,
            workers=args.workers,
            app_dir=str(Path(__file__).parent),
            **settings,
        )
    else:
        uvicorn.run(build_app(args.captured), **settings)


if __name__ == "__main__":
    main()
