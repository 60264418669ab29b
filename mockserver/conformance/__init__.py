"""Response conformance: does a reply match what its operation declares?"""

from mockserver.conformance.validator import ConformanceError, ResponseValidator

__all__ = ["ConformanceError", "ResponseValidator"]
