"""The commands beside ``serve``: ``specs``, ``contract``, ``proxy`` and ``verify``; each
imports what it needs when it runs, so ``serve`` never loads them. ``add_*_command(options=
False)`` adds a command by name and summary only, without importing its options."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from mockserver.cli.serve import control_token, stopped, warn_of_token_flag
from mockserver.cli.values import add_command
from mockserver.config import LOG_FORMAT, ServeConfig
from mockserver.vendors import REGISTRY, vendor


def add_proxy_command(commands: argparse._SubParsersAction, options: bool = True) -> None:
    proxy = add_command(
        commands,
        "proxy",
        "forward to a real deployment, validating requests and answers against the spec",
        "Forward every request to --upstream unchanged and validate it and its answer "
        "against the bundled spec: violations go to the journal (/__mockserver), the log and an "
        "x-mockserver-violation header. --record appends each exchange to a cassette for "
        "mockserver serve --replay. Credentials pass through; they are masked in everything "
        "written.",
        (
            (
                "mockserver proxy --api sendgrid --upstream https://api.sendgrid.com "
                "--record sendgrid.yaml",
                "point your app at http://127.0.0.1:4010: each exchange is checked and recorded",
            ),
            ("mockserver serve --replay sendgrid.yaml", "then answer those requests offline"),
        ),
    )
    proxy.set_defaults(run=run_proxy)
    if options:
        from mockserver.reality.options import add_proxy_arguments

        add_proxy_arguments(proxy, list(REGISTRY))


def run_proxy(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.app import build_app
    from mockserver.errors import MockServerError
    from mockserver.reality.options import proxy_options
    from mockserver.reality.proxy import build_proxy
    from mockserver.server import uvicorn_settings

    options = proxy_options(args)
    logging.basicConfig(level=options.log_level.upper(), format=LOG_FORMAT)
    warn_of_token_flag(options.control_token)
    plane_config = ServeConfig(
        apis=(options.api,),
        cors_origins=(),
        control_token=control_token(options.control_token),
        journal_size=options.journal_size,
    )
    try:
        app = build_proxy(options, build_app(plane_config))
    except (MockServerError, OSError) as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: None)
    logging.getLogger("mockserver.proxy").info(
        "proxying %s to %s on http://%s:%d",
        options.api,
        app.upstream.base_url,  # a password in the URL shown as ***
        options.host,
        options.port,
    )
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        access_log=False,
        server_header=False,
        date_header=False,
        # The same hardening as serve: no proxy headers from the environment, bounded heads,
        # idle and connection caps, a graceful SIGTERM.
        **uvicorn_settings(plane_config, raise_descriptors=True),
    )
    return stopped()


def add_verify_command(commands: argparse._SubParsersAction, options: bool = True) -> None:
    verify = add_command(
        commands,
        "verify",
        "send an app's recorded requests to the mock and to a deployment; report drift",
        "Send each recorded request (a journal export or a cassette) to the bundled "
        "mock and to --base-url and compare the answers: status, media type, the spec "
        "conformance of the real answer and the shape of both bodies (values are ignored). "
        "Credentials: SENDGRID_API_KEY / ACTIONHUB_PROGRAM_ID or -H, masked in all output. "
        "Exit 1 on a breaking difference, 0 when only additive ones (warnings) were found.",
        (
            (
                "pytest --mockserver-journal requests.json",
                "record what your tests sent to the mockserver fixture",
            ),
            (
                "SENDGRID_API_KEY=... mockserver verify --requests requests.json "
                "--base-url https://api.sendgrid.com",
                "send the same requests to the real API and compare the answers' shapes",
            ),
        ),
    )
    verify.set_defaults(run=run_verify)
    if options:
        from mockserver.reality.options import add_verify_arguments

        add_verify_arguments(verify, list(REGISTRY))


def run_verify(args: argparse.Namespace) -> int:
    from mockserver.reality.options import verify_options
    from mockserver.reality.verify import run

    return run(verify_options(args), os.environ)


def add_specs_command(commands: argparse._SubParsersAction, options: bool = True) -> None:
    specs = add_command(
        commands,
        "specs",
        "list, validate or print the bundled specs",
        "List the operations of the bundled OpenAPI specs, validate them, or print one.",
        (
            ("mockserver specs", "every operation: method, path, operationId, status codes"),
            ("mockserver specs validate", "check both specs against the OpenAPI schema"),
            ("mockserver specs print sendgrid > sendgrid.yaml", "one spec, as bundled"),
        ),
    )
    specs.set_defaults(run=run_specs)
    if not options:
        return
    specs.add_argument(
        "action",
        nargs="?",
        choices=("list", "validate", "print"),
        default="list",
        metavar="ACTION",
        help="list (default), validate or print",
    )
    specs.add_argument(
        "api",
        nargs="?",
        choices=list(REGISTRY),
        metavar="API",
        help=f"{' or '.join(REGISTRY)} (default: every API)",
    )


def run_specs(args: argparse.Namespace) -> int:
    from mockserver.resources import bundled_dir
    from mockserver.spec import load_spec

    apis = [args.api] if args.api else list(REGISTRY)
    paths = {api: bundled_dir("specs") / vendor(api).spec_file for api in apis}
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


def add_contract_command(commands: argparse._SubParsersAction, options: bool = True) -> None:
    contract = add_command(
        commands,
        "contract",
        "check a deployment (default: the bundled mock) against the bundled spec",
        "Run Schemathesis with the bundled spec against a base URL. Credentials: "
        "SENDGRID_API_KEY (Authorization: Bearer) or ACTIONHUB_PROGRAM_ID (program-id), or -H; "
        "they are masked in all output. Exit 0 only when nothing failed.",
        (
            ("mockserver contract --api actionhub", "the bundled mock against its own spec"),
            (
                "SENDGRID_API_KEY=... mockserver contract --api sendgrid "
                "--base-url https://api.sendgrid.com",
                "a real deployment against the bundled spec",
            ),
        ),
    )
    contract.set_defaults(run=run_contract)
    if options:
        from mockserver.contract.options import add_arguments

        add_arguments(contract, list(REGISTRY))


def run_contract(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    if find_spec("schemathesis") is None:
        print(
            "mockserver: error: the contract command needs the contract extra: "
            "pip install 'mockserver[contract]'",
            file=sys.stderr,
        )
        return 2
    from mockserver.contract.options import from_namespace
    from mockserver.contract.runner import run

    return run(from_namespace(args), os.environ)
