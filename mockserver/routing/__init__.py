"""Routing: which API owns a path, and the Starlette routes built from the specs."""

from mockserver.routing.owner import owner_of

__all__ = ["owner_of"]
