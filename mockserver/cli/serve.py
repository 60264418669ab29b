"""``mockserver serve``: the ``ServeConfig`` its flags make, and running uvicorn on it (also for
``proxy``)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from mockserver.cli.flags import options
from mockserver.config import CONFIG_ENV, ServeConfig, config_to_json
from mockserver.healthcheck import TOKEN_ENV
from mockserver.vendors import REGISTRY

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from mockserver.app import MockApp


def serve_config(args: argparse.Namespace) -> ServeConfig:
    vendor_options: dict[str, dict[str, object]] = {api: {} for api in REGISTRY}
    for key, value in vars(args).items():
        if "__" in key:
            api, dest = key.split("__", 1)
            vendor_options[api][dest] = value
    return options(
        args,
        ServeConfig,
        apis=tuple(REGISTRY) if args.api == "all" else (args.api,),
        vendor_options=vendor_options,
        control=not args.no_control,
        control_token=control_token(args.control_token),
        cors_origins=() if args.cors_origin == ["none"] else tuple(args.cors_origin or ("*",)),
        state_url=args.state,
    )


def run_serve(args: argparse.Namespace) -> int:
    from mockserver.app import build_app, freeze_startup_objects
    from mockserver.cli.logs import configure
    from mockserver.errors import MockServerError
    from mockserver.progress import REPORTER
    from mockserver.server import GuardedHttpTools

    log_config = configure(args.log_level, args.log_format)
    REPORTER.live = args.log_format == "text" and sys.stderr.isatty()
    config = serve_config(args)
    try:
        app = build_app(config)
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2
    announce(app, config, args)
    settings = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "log_config": log_config,
    }
    if args.workers == 1:
        freeze_startup_objects()
        gc.enable()  # paused for start-up by ``python -m mockserver``
        return run_server(app, config, **settings)
    # Each worker builds its own app from the same config: same seed, same bytes. The data was
    # checked above, so a bad fixture fails once here instead of in every respawned worker.
    del app
    gc.enable()
    os.environ[CONFIG_ENV] = config_to_json(config)
    return run_server(
        "mockserver.app:create_app_from_env",
        config,
        GuardedHttpTools,
        factory=True,
        workers=args.workers,
        **settings,
    )


def run_server(
    app: ASGIApp | str, config: ServeConfig, protocol: Any = None, **settings: Any
) -> int:
    """``uvicorn.run`` hardened by ``config`` (bounded heads, idle and connection caps, no proxy
    headers from the environment), until a graceful stop."""
    import uvicorn

    from mockserver.budget import cancel_all
    from mockserver.server import uvicorn_settings

    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises SIGTERM once its graceful shutdown is done (in-flight requests
        # answered); with a handler in place that ends in a clean exit 0, not death by signal.
        signal.signal(signal.SIGTERM, lambda signum, frame: None)
    hardened = uvicorn_settings(config, protocol, raise_descriptors=True)
    uvicorn.run(app, access_log=False, **settings, **hardened)
    # Stop any data load still running (its daemon thread would not hold the exit anyway).
    cancel_all("the server stopped")
    return 0


def announce(app: MockApp, config: ServeConfig, args: argparse.Namespace) -> None:
    """The start-up banner, once (also with ``--workers``), at the default log level."""
    log = logging.getLogger("mockserver")
    if log.isEnabledFor(logging.INFO):
        from mockserver.banner import banner

        token_from = "--control-token" if args.control_token else f"${TOKEN_ENV}"
        url = base_url(args.host, args.port)
        text = banner(
            app.runtimes, app.replays, config, url, workers=args.workers, token_from=token_from
        )
        log.info("%s", text)


def base_url(host: str, port: int) -> str:
    """``http://host:port`` (an IPv6 address in brackets); with port 0 the port is chosen as
    uvicorn binds (its next line names it), so the banner says ``PORT``."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port or 'PORT'}"


def control_token(flag: str | None) -> str | None:
    """The flag's token (with a warning), else the environment's, which ``ps`` does not show."""
    if flag:
        logging.getLogger("mockserver").warning(
            "--control-token is visible to every user of this machine (ps); prefer %s", TOKEN_ENV
        )
    return flag or os.environ.get(TOKEN_ENV) or None
