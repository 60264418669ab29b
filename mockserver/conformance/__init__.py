"""Response conformance: does a reply match what its operation declares?

``ResponseValidator`` lives in ``conformance.validator`` and is imported only when
``--validate-responses`` is on: jsonschema costs start-up time the default mode does not need.
"""

from mockserver.conformance.errors import ConformanceError

__all__ = ["ConformanceError"]
