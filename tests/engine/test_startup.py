"""Start-up (issue 25): the serve path imports only what its first answers need (start-up time
is mostly imports, so a library that creeps onto it shows here before it shows in a bench), and
runs without the cyclic collector, which is on again once the server starts."""

from __future__ import annotations

import os

import orjson
import pytest

from tests.processes import run_snippet

#: ``mockserver serve`` as ``cli.main`` runs it, up to uvicorn: the command line parsed, the app
#: built, then one request of each API answered in-process; prints what ``sys.modules`` holds.
SERVE_PATH = """
import asyncio, sys
import orjson
from mockserver.app import build_app
from mockserver.cli import parser, serve_config

seed = sys.argv[1:]
app = build_app(serve_config(parser("serve").parse_args(["serve", *seed])))
KEY = "SG." + "a" * 22 + "." + "b" * 43
PROBES = (
    ("/segments", "program-id", "demo"),
    ("/v3/marketing/segments", "authorization", "Bearer " + KEY),
)

async def answer(path, name, value):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(name.encode(), value.encode())],
             "server": ("127.0.0.1", 4010), "client": ("127.0.0.1", 50000)}
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    return sent[0]["status"]

async def both():
    return [await answer(*probe) for probe in PROBES]

statuses = asyncio.run(both())
print(orjson.dumps({"statuses": statuses, "modules": sorted(sys.modules)}).decode())
"""

#: Libraries only other commands, other worlds or first use of a feature need.
NOT_ON_SERVE_PATH = (
    "faker",  # the generated worlds' names are precomputed (vendors/sendgrid/names.json)
    "yaml",  # the bundled specs and fixtures are parsed ahead of time (bundled_yaml.json)
    "sqlglot",  # the bundled queries are compiled ahead of time, for any seed
    "jinja2",  # the console, on its first request
    "aiohttp",  # mockserver proxy
    "schemathesis",  # mockserver contract
    "rich",  # progress bars of long builds on a terminal
    "mockserver.contract",  # the contract command
    "mockserver.reality.options",  # the proxy and verify commands' flags
    # The control plane, built on its first request (app.ControlPlane); Starlette's app with it.
    "mockserver.control.actions",
    "mockserver.control.api",
    "starlette.applications",
    # Cassettes: their reader and the specs' checks, on the first cassette (--replay, a load).
    "mockserver.reality.cassette",
    "mockserver.reality.checks",
    # SendGrid's write stack, on the first stateful call (or v1 read after a write).
    "mockserver.vendors.sendgrid.writes",
    "mockserver.vendors.sendgrid.list_writes",
    "mockserver.vendors.sendgrid.contact_writes",
    "mockserver.vendors.sendgrid.views",
    "mockserver.vendors.sendgrid.reads",
    "mockserver.conformance.validator",  # the default data's answers are verified ahead of time
    "difflib",  # the suggestion for a misspelt query parameter
    # The default data's first answers come from tables computed ahead of time; its worlds'
    # arrays are built when a request first needs them (vendors' rankings.py, memberships.py).
    "numpy",
    "mockserver.vendors.actionhub.world",
    "mockserver.vendors.sendgrid.population",
)
#: What another seed's start-up still needs: its worlds computed, which takes NumPy, and its list
#: answer validated (the full answers are rendered and validated on first need).
COMPUTED = frozenset(
    {
        "numpy",
        "mockserver.vendors.actionhub.world",
        "mockserver.vendors.sendgrid.population",
        "mockserver.conformance.validator",
    }
)


@pytest.fixture(scope="module", params=[[], ["--seed", "7"]], ids=["default", "seed-7"])
def serve_path(request) -> dict:
    found = orjson.loads(run_snippet(SERVE_PATH, *request.param, hash_seed="0"))
    return {**found, "seeded": bool(request.param)}


@pytest.mark.parametrize("module", NOT_ON_SERVE_PATH)
def test_the_serve_path_does_not_import(serve_path, module, request):
    if serve_path["seeded"] and module in COMPUTED:
        reason = "another seed's worlds and list answer are computed at start-up (issue 25)"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    assert serve_path["statuses"] == [200, 200]
    loaded = [m for m in serve_path["modules"] if m == module or m.startswith(module + ".")]
    assert loaded == []


#: ``mockserver COMMAND`` as the ``mockserver`` script runs it, with uvicorn.run (the server
#: starting) and the app's build recording whether the cyclic collector runs.
COLLECTOR = """
import gc, os, sys
import orjson
import uvicorn
import mockserver.app
import dataclasses
import mockserver.cli
from mockserver.__main__ import run

seen = {}
build = mockserver.app.build_app

def building(*args, **kwargs):
    seen["building"] = gc.isenabled()
    return build(*args, **kwargs)

def serving(*args, **kwargs):
    seen["serving"] = gc.isenabled()
    seen["blas threads"] = os.environ.get("OPENBLAS_NUM_THREADS")

def specs(args):
    seen["running"] = gc.isenabled()
    return 0

mockserver.app.build_app = building
uvicorn.run = serving
mockserver.cli.COMMANDS["specs"] = dataclasses.replace(mockserver.cli.COMMANDS["specs"], run=specs)
sys.argv = ["mockserver", *sys.argv[1:]]
code = run()
seen["after"] = gc.isenabled()
print(orjson.dumps(seen).decode())
"""


def test_the_collector_is_paused_while_serve_starts_and_on_while_it_serves():
    seen = run_snippet(COLLECTOR, "serve", "--port", "0", "--log-level", "warning", hash_seed="0")
    assert orjson.loads(seen.splitlines()[-1]) == {
        "building": False,
        "serving": True,
        "after": True,
        # NumPy's BLAS, when a world is generated, starts no thread pool (unless asked to).
        "blas threads": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
    }


def test_other_commands_run_with_the_collector_on():
    seen = run_snippet(COLLECTOR, "specs", hash_seed="0")
    assert orjson.loads(seen) == {"running": True, "after": True}
