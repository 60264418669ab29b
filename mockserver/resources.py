"""Where the bundled specs and fixtures live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The bundled ``specs`` or ``fixtures``: a wheel's ``mockserver/_bundled``, else a
    checkout's top-level folder."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {name!r} directory not found next to {_PACKAGE}")
