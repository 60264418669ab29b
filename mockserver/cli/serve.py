"""``mockserver serve``: its flags, the ``ServeConfig`` they make, and running uvicorn on it."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mockserver.cli.values import (
    add_command,
    cidr,
    error_rate,
    latency_range,
    readable_dir,
    state_prefix,
    state_url,
)
from mockserver.config import (
    CONFIG_ENV,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SEED,
    LOG_FORMATS,
    LOG_LEVEL_ENV,
    LOG_LEVELS,
    ServeConfig,
    config_to_json,
)
from mockserver.healthcheck import TOKEN_ENV
from mockserver.numbers import bounded_int
from mockserver.vendors import REGISTRY, vendor

if TYPE_CHECKING:
    from mockserver.app import MockApp


#: The end of ``serve --help``.
SERVE_EXAMPLES = (
    ("mockserver serve", "both APIs on http://127.0.0.1:4010, the console at /__mockserver/"),
    (
        "mockserver serve --api sendgrid --contacts 300000 --rate-limit 600",
        "a bigger SendGrid world (a few seconds to build: its progress is shown), 429 past "
        "600 requests a minute per key",
    ),
    ("mockserver serve --fixtures ./fixtures --seed 7", "your own data, another seed"),
    ("mockserver serve --replay recorded.yaml", "answer recorded exchanges byte for byte"),
    (
        "MOCKSERVER_CONTROL_TOKEN=s3cret mockserver serve --host 0.0.0.0 --workers 4",
        "on every interface, four processes; remote control callers send the token",
    ),
    ("mockserver serve --log-format json --log-level warning", "quiet, machine-readable logs"),
)


def add_serve_command(commands: argparse._SubParsersAction, options: bool = True) -> None:
    serve = add_command(
        commands,
        "serve",
        "serve the mock APIs",
        "Serve the mock APIs; both share one port, their paths do not collide. At start-up a "
        "banner lists what is served (--log-level warning hides it).",
        SERVE_EXAMPLES,
    )
    serve.set_defaults(run=run_serve)
    if not options:  # another command runs: no vendor imported for serve's flags
        return
    serve.add_argument(
        "--api",
        choices=[*REGISTRY, "all"],
        default="all",
        metavar="API",
        help=f"API to serve: {', '.join(REGISTRY)} or all (default)",
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST, metavar="ADDRESS", help="interface (default %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=bounded_int("port", 0, 65535),
        default=DEFAULT_PORT,
        metavar="N",
        help="TCP port (default %(default)s; 0: a free one)",
    )
    serve.add_argument(
        "--seed",
        type=bounded_int("seed", 0, 2**63 - 1),
        default=DEFAULT_SEED,
        metavar="N",
        help="data seed: the same seed gives the same answers (default 0)",
    )
    serve.add_argument(
        "--fixtures",
        type=readable_dir,
        metavar="DIR",
        help="fixtures directory (DIR/actionhub, DIR/sendgrid; default: the bundled ones)",
    )
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        help="validate every response against its spec; a violation becomes a loud 500",
    )
    serve.add_argument(
        "--strict-params",
        action="store_true",
        help="answer a query parameter the operation does not declare with a 400/422 in the "
        "API's dialect (default: ignored as the vendor does, with an x-mockserver-warning header)",
    )
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        type=str.lower,
        metavar="LEVEL",
        help=f"{', '.join(LOG_LEVELS)} (default %(default)s; warning hides the banner and the "
        "request lines)",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        metavar="FORMAT",
        help="text (default) or json: one object a line (time, level, logger, message; request "
        "lines also method, path, status, ms, warnings)",
    )
    serve.add_argument(
        "--workers",
        type=bounded_int("workers", 1, 64),
        default=1,
        metavar="N",
        help="worker processes answering identically (default 1; each holds its own "
        "control-plane state unless --state is given)",
    )
    _add_control(serve)
    _add_state(serve)
    _add_replay(serve)
    _add_limits(serve)
    for api in REGISTRY:
        group = serve.add_argument_group(f"{api} (--api {api})")
        for option in vendor(api).cli_options:
            kwargs = {"dest": f"{api}__{option.dest}", "help": option.help}
            if option.action != "store_true":
                kwargs["metavar"] = option.metavar or option.flag.lstrip("-").upper()
            if option.action:
                kwargs["action"] = option.action
            else:
                kwargs.update(type=option.type, default=option.default)
            group.add_argument(option.flag, **kwargs)


def serve_config(args: argparse.Namespace) -> ServeConfig:
    apis = tuple(REGISTRY) if args.api == "all" else (args.api,)
    vendor_options: dict[str, dict[str, object]] = {api: {} for api in REGISTRY}
    for key, value in vars(args).items():
        if "__" in key:
            api, dest = key.split("__", 1)
            vendor_options[api][dest] = value
    return ServeConfig(
        apis=apis,
        seed=args.seed,
        fixtures_dir=args.fixtures,
        validate_responses=args.validate_responses,
        vendor_options=vendor_options,
        control=not args.no_control,
        control_token=control_token(args.control_token),
        cors_origins=cors_origins(args.cors_origin),
        latency_ms=args.latency,
        error_rate=args.error_rate,
        journal_size=args.journal_size,
        state_url=args.state,
        state_prefix=args.state_prefix,
        strict_params=args.strict_params,
        replay=tuple(args.replay),
        **limit_fields(args),
    )


def limit_fields(args: argparse.Namespace) -> dict[str, object]:
    """The ``ServeConfig`` fields of :func:`_add_limits`' flags."""
    return {
        "max_load_bytes": args.max_load_bytes,
        "load_timeout": args.load_timeout,
        "control_origins": tuple(args.control_origin or ()),
        "trust_proxy": tuple(args.trust_proxy or ()),
        "max_header_bytes": args.max_header_bytes,
        "journal_entry_bytes": args.journal_entry_bytes,
        "timeout_keep_alive": args.timeout_keep_alive,
        "header_timeout": args.header_timeout,
        "max_connections": args.max_connections,
    }


def cors_origins(values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return ("*",)
    return () if values == ["none"] else tuple(values)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.app import build_app, freeze_startup_objects
    from mockserver.cli.logs import configure
    from mockserver.errors import MockServerError
    from mockserver.progress import REPORTER
    from mockserver.server import GuardedHttpTools, uvicorn_settings

    log_config = configure(args.log_level, args.log_format)
    REPORTER.live = args.log_format == "text" and sys.stderr.isatty()
    warn_of_token_flag(args.control_token)
    config = serve_config(args)
    try:
        app = build_app(config)
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    announce(app, config, args)
    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises SIGTERM once its graceful shutdown is done (in-flight requests
        # answered); with a handler in place that ends in a clean exit 0, not death by signal.
        signal.signal(signal.SIGTERM, lambda signum, frame: None)
    settings = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "log_config": log_config,
    }
    if args.workers == 1:
        freeze_startup_objects()
        gc.enable()  # paused for start-up by ``python -m mockserver``
        hardened = uvicorn_settings(config, raise_descriptors=True)
        uvicorn.run(app, access_log=False, **settings, **hardened)
        return stopped()
    # Each worker builds its own app from the same config: same seed, same bytes. The data was
    # checked above, so a bad fixture fails once here instead of in every respawned worker.
    del app
    gc.enable()
    os.environ[CONFIG_ENV] = config_to_json(config)
    os.environ[LOG_LEVEL_ENV] = args.log_level
    uvicorn.run(
        "mockserver.app:create_app_from_env",
        factory=True,
        workers=args.workers,
        access_log=False,
        **settings,
        **uvicorn_settings(config, GuardedHttpTools, raise_descriptors=True),
    )
    return stopped()


def announce(app: MockApp, config: ServeConfig, args: argparse.Namespace) -> None:
    """The start-up banner, once (also with ``--workers``), at the default log level."""
    log = logging.getLogger("mockserver")
    if log.isEnabledFor(logging.INFO):
        from mockserver.banner import banner

        token_from = "--control-token" if args.control_token else f"${TOKEN_ENV}"
        url = base_url(args.host, args.port)
        text = banner(
            app.runtimes,
            app.control.replays,
            config,
            url,
            workers=args.workers,
            token_from=token_from,
        )
        log.info("%s", text)


def base_url(host: str, port: int) -> str:
    """``http://host:port`` (an IPv6 address in brackets); with port 0 the port is chosen as
    uvicorn binds (its next line names it), so the banner says ``PORT``."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port or 'PORT'}"


def control_token(flag: str | None) -> str | None:
    """The flag's token, else the environment's (which ``ps`` does not show)."""
    return flag or os.environ.get(TOKEN_ENV) or None


def warn_of_token_flag(flag: str | None) -> None:
    if flag:
        logging.getLogger("mockserver").warning(
            "--control-token is visible to every user of this machine (ps); prefer %s", TOKEN_ENV
        )


def stopped() -> int:
    """After the server's graceful shutdown: stop any data load still running (its daemon
    thread would not hold the exit anyway) and report a clean stop."""
    from mockserver.budget import cancel_all

    cancel_all("the server stopped")
    return 0


def _add_control(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("control plane, faults and CORS")
    group.add_argument("--no-control", action="store_true", help="turn /__mockserver off")
    group.add_argument(
        "--control-token",
        metavar="TOKEN",
        help=f"allow non-loopback control callers that send this token (prefer ${TOKEN_ENV}: "
        "a flag is visible to every user in ps)",
    )
    group.add_argument(
        "--journal-size",
        type=bounded_int("journal size", 1, 1_000_000),
        default=1000,
        metavar="N",
        help="requests kept (1000)",
    )
    group.add_argument(
        "--latency", type=latency_range, metavar="MS|MIN-MAX", help="delay every answer"
    )
    group.add_argument(
        "--error-rate",
        type=error_rate,
        default=0.0,
        metavar="P",
        help="answer this fraction of requests 500/503 (0-1)",
    )
    group.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allowed CORS origin (repeatable; default any; 'none' turns CORS off)",
    )


def _add_state(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group(
        "shared state (several processes or replicas serving as one mock; docs/SCALING.md)"
    )
    group.add_argument(
        "--state",
        type=state_url,
        metavar="URL",
        help="keep journal, scenarios, faults, loaded data and rate-limit windows in Redis "
        "(redis://HOST:PORT/DB); default: in this process",
    )
    group.add_argument(
        "--state-prefix",
        type=state_prefix,
        default="mockserver",
        metavar="PREFIX",
        help="prefix of the mock's Redis keys: mocks with different prefixes share one Redis "
        "without seeing each other (default %(default)s)",
    )


def _add_replay(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--replay",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="answer requests recorded in this cassette (mockserver proxy --record) byte for "
        "byte; everything else as usual (repeatable)",
    )


def _add_limits(serve: argparse.ArgumentParser) -> None:
    """Hardening (docs/SECURITY.md): every limit a client meets, and who may drive /__mockserver."""
    from mockserver import limits

    group = serve.add_argument_group("limits and control-plane safety (docs/SECURITY.md)")
    for limit in limits.TABLE:
        if limit.flag is not None:
            metavar = "S" if limit.unit == "s" else "N"
            group.add_argument(
                limit.flag,
                type=limit.parse,
                default=limit.default,
                metavar=metavar,
                help=limit.help,
            )
    group.add_argument(
        "--control-origin",
        action="append",
        metavar="ORIGIN",
        help="a browser origin allowed to call the control API (repeatable; default: none)",
    )
    group.add_argument(
        "--trust-proxy",
        action="append",
        type=cidr,
        metavar="CIDR",
        help="believe X-Forwarded-For from these proxies (repeatable; default: nobody)",
    )
