"""Response conformance: does a reply match what its operation declares?

``ResponseValidator`` lives in ``conformance.validator`` (jsonschema-rs) and is imported on
first use: it validates every reply with ``--validate-responses``, and otherwise only each data
version's prebuilt answers, once. Violations raise :class:`mockserver.errors.ConformanceError`.
"""
