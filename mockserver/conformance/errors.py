"""The error a spec violation raises: importable without loading jsonschema."""


class ConformanceError(AssertionError):
    """A reply that contradicts the spec; raised loudly in ``--validate-responses`` mode."""
