"""Everything one served API needs at request time, built once at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mockserver.behaviour.contract import Backend, Call, Reply, Vendor, VendorOptions
from mockserver.generate import SchemaFaker
from mockserver.serialize import json_bytes
from mockserver.spec.model import ApiSpec, Operation

if TYPE_CHECKING:
    from mockserver.conformance.validator import ResponseValidator

log = logging.getLogger("mockserver")

#: Generated answers are cached per (operation, parameters); the cache is bounded.
GENERATED_CACHE_SIZE = 4096


@dataclass
class ApiRuntime:
    spec: ApiSpec
    vendor: Vendor
    options: VendorOptions
    backend: Backend
    faker: SchemaFaker
    #: Validate every reply per request (``--validate-responses``); otherwise only each data
    #: version's prebuilt answers are validated, once, by :meth:`verify`.
    validate_responses: bool = False
    _generated: dict[tuple[Any, ...], Reply] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dialect(self):
        return self.vendor.dialect

    @cached_property
    def checker(self) -> ResponseValidator:
        """The spec's response validator; compiled schemas are kept for the next data load."""
        from mockserver.conformance.validator import ResponseValidator

        return ResponseValidator()

    @property
    def validator(self) -> ResponseValidator | None:
        """The per-request validator, or ``None`` in the default mode."""
        return self.checker if self.validate_responses else None

    def verify(self, backend: Backend) -> Backend:
        """Validate a new data version's prebuilt answers against the spec (raises DataError)."""
        self.checker.check_prebuilt(self.spec, backend)
        return backend

    def replace_backend(self, backend: Backend) -> None:
        """Swap in a new data version; requests in flight finish on the old one."""
        self.backend = backend
        self._generated.clear()

    def generated_reply(self, call: Call, status: int | None = None) -> Reply:
        """The schema-driven default answer of an operation without a vendor behaviour.

        ``status`` picks another declared response (``Prefer: code=404, dynamic=true``).
        """
        operation = call.operation
        forced = () if status is None else (f"@{status}",)
        params = sorted((k, repr(v)) for k, v in call.params.items())
        key = (operation.operation_id, *forced, *params)
        reply = self._generated.get(key)
        if reply is None:
            reply = self._generate(operation, key, status)
            if len(self._generated) >= GENERATED_CACHE_SIZE:
                self._generated.clear()
            self._generated[key] = reply
        return reply

    def _generate(
        self, operation: Operation, key: tuple[Any, ...], forced: int | None = None
    ) -> Reply:
        status, response = operation.success
        if forced is not None:
            status, response = forced, operation.response_for(forced) or response
        headers = tuple(
            (header.name, str(self.faker.generate(header.schema, *key, header.name)))
            for header in response.headers
            if header.required
        )
        media = response.media_type
        if media is None:
            return Reply(status, b"", None, headers)
        schema = response.content[media].schema or {}
        value = self.faker.generate(schema, *key)
        body = json_bytes(value) if "json" in media else str(value).encode()
        return Reply(status, body, media, headers)
