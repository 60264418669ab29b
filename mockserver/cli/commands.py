"""The commands beside ``serve``: ``specs``, ``contract``, ``proxy`` and ``verify``; each
imports what it needs when it runs, so ``serve`` never loads them."""

from __future__ import annotations

import argparse
import os
import sys

from mockserver.cli.flags import options
from mockserver.cli.serve import control_token, run_server
from mockserver.config import ServeConfig
from mockserver.vendors import REGISTRY


def run_proxy(args: argparse.Namespace) -> int:
    import logging

    from mockserver.app import build_app
    from mockserver.cli.logs import configure
    from mockserver.errors import MockServerError
    from mockserver.reality.options import ProxyOptions
    from mockserver.reality.proxy import build_proxy

    chosen = options(args, ProxyOptions)
    log_config = configure(chosen.log_level)
    plane_config = ServeConfig(
        apis=(chosen.api,),
        cors_origins=(),
        control_token=control_token(chosen.control_token),
        journal_size=chosen.journal_size,
        proxy_upstream=chosen.upstream,  # the console shows it without a password
    )
    try:
        app = build_proxy(chosen, build_app(plane_config))
    except (MockServerError, OSError) as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("mockserver.proxy").info(
        "proxying %s to %s on http://%s:%d",
        chosen.api,
        app.upstream.base_url,  # a password in the URL shown as ***
        chosen.host,
        chosen.port,
    )
    # The same hardening as serve: no proxy headers from the environment, bounded heads, idle
    # and connection caps, a graceful SIGTERM.
    return run_server(
        app,
        plane_config,
        host=chosen.host,
        port=chosen.port,
        log_level=chosen.log_level,
        log_config=log_config,
        server_header=False,
        date_header=False,
    )


def run_verify(args: argparse.Namespace) -> int:
    from mockserver.reality.options import VerifyOptions
    from mockserver.reality.verify import run

    return run(options(args, VerifyOptions), os.environ)


def run_specs(args: argparse.Namespace) -> int:
    from mockserver.contract.options import spec_path
    from mockserver.spec import load_spec

    paths = {api: spec_path(api) for api in ([args.api] if args.api else REGISTRY)}
    if args.action == "print":
        for path in paths.values():
            sys.stdout.write(path.read_text(encoding="utf-8"))
        return 0
    if args.action == "validate":
        from openapi_spec_validator import validate
        from openapi_spec_validator.readers import read_from_filename

        failed = 0
        for api, path in paths.items():
            try:
                document, _ = read_from_filename(str(path))
                validate(document)
                print(f"{api}: {path} is a valid OpenAPI document")
            except Exception as exc:
                failed += 1
                print(f"{api}: {path} is invalid: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1 if failed else 0
    for api, path in paths.items():
        spec = load_spec(api, path)
        print(f"{api}: {spec.title} {spec.version} ({path})")
        for op in spec.operations:
            codes = ", ".join(op.responses)
            print(f"  {op.method:6} {op.path:40} {op.operation_id}  [{codes}]")
    return 0


def run_contract(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    if find_spec("schemathesis") is None:
        print(
            "mockserver: error: the contract command needs the contract extra: "
            "pip install 'mockserver[contract]'",
            file=sys.stderr,
        )
        return 2
    from mockserver.contract.options import ContractOptions
    from mockserver.contract.runner import run

    return run(options(args, ContractOptions), os.environ)
