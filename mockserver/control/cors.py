"""CORS of the control plane: none, unless the user lists the origins that may drive it.

The vendor APIs answer any origin by default (browser apps call the mock); the control plane
must not inherit that - a page on any site could then read the journal or wipe the state. So
the data plane's CORS is a step of the API requests' path only (``app.MockApp``), and the control
plane answers preflights only for ``--control-origin`` origins (:func:`control_cors`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

#: What a listed origin's page may send: the control API's methods, JSON bodies, the token.
METHODS = ["GET", "PUT", "POST", "DELETE"]
HEADERS = ["content-type", "x-mockserver-token"]


def control_cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """``app`` with CORS for exactly ``origins`` (none: no CORS headers, no preflight answers)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=[origin.rstrip("/") for origin in origins],
        allow_methods=METHODS,
        allow_headers=HEADERS,
        allow_private_network=True,
        max_age=600,
    )
