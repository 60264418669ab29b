"""Response conformance (``validator``, jsonschema-rs, imported on first use) and fixture
document schemas (``documents``)."""
