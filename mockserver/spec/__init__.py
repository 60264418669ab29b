"""Spec documents: loading, $ref resolution and the operation model the engine is built from."""

from mockserver.spec.loader import load_spec
from mockserver.spec.model import ApiSpec, Operation, Parameter, ResponseSpec

__all__ = ["ApiSpec", "Operation", "Parameter", "ResponseSpec", "load_spec"]
