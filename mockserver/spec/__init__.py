"""Spec documents: loading, $ref resolution and the operation model the engine is built from."""

from mockserver.spec.loader import load_spec

__all__ = ["load_spec"]
