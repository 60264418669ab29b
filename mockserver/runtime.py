"""One served API: its spec, its vendor, and the data version in service - a vendor
:class:`Backend`, swapped whole by a load or a reset (requests in flight finish on the old one).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mockserver.conformance import verified
from mockserver.errors import ConformanceError, RegistryError
from mockserver.generate.schema_faker import SchemaFaker
from mockserver.lru import LruCache
from mockserver.serialize import json_bytes
from mockserver.spec.model import ApiSpec, Operation
from mockserver.vendors.interface import Backend, Call, ErrorDialect, Reply, Vendor, VendorOptions

if TYPE_CHECKING:
    from mockserver.conformance.validator import ResponseValidator

#: Generated answers are cached per (operation, parameters); the cache is bounded.
GENERATED_CACHE_SIZE = 4096


@dataclass
class ApiRuntime:
    spec: ApiSpec
    vendor: Vendor
    options: VendorOptions
    #: The data version built at start-up: what reset brings back.
    seed_backend: Backend
    faker: SchemaFaker
    #: Validate every reply per request (``--validate-responses``); otherwise only each data
    #: version's prebuilt answers are validated, once, by :meth:`verify`.
    validate_responses: bool = False
    #: Answer a query parameter the operation does not declare with a parameter error in the
    #: API's dialect (``--strict-params``) instead of ignoring it (with a warning).
    strict_params: bool = False
    backend: Backend = field(init=False)
    #: The data version in service (0: the start-up data); see ``state.base.DataStore``.
    version: int = field(init=False, default=0)
    _generated: LruCache[Reply] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        check_operations(self.spec, self.vendor)
        self.backend = self.verify(self.seed_backend)
        self._generated = LruCache(GENERATED_CACHE_SIZE)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dialect(self) -> ErrorDialect:
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
        """Check a new data version: its handlers, then its prebuilt answers (DataError)."""
        check_handlers(self.spec, self.vendor, backend)
        # Answers validated ahead of time (the default data's) are not again, nor is the
        # validator built for them (issue 25).
        if not verified.known_valid(verified.digest(self.spec, backend.prebuilt())):
            self.checker.check_prebuilt(self.spec, backend.prebuilt())
        # Those it renders on first need, before they are served: a violation answers 500.
        backend.check_later(
            lambda later: self.checker.check_prebuilt(self.spec, later, ConformanceError)
        )
        return backend

    def build(self, document: Any) -> Backend:
        """A verified data version from a data document (raises DataError, changes nothing)."""
        return self.verify(self.vendor.build(self.options, data=document))

    def install(self, backend: Backend, version: int | None = None) -> bool:
        """Swap in data ``version`` unless a newer one is in service already (``None``: this
        process's own, unversioned swap); requests in flight finish on the old one."""
        with self._lock:
            if version is not None and version < self.version:
                return False
            self.backend = backend
            self.version = self.version if version is None else version
            self._generated.clear()
            return True

    def generated_reply(self, call: Call, status: int | None = None) -> Reply:
        """The schema-driven answer of an operation without a vendor behaviour; ``status``
        picks another declared response (``Prefer: code=404, dynamic=true``)."""
        operation = call.operation
        forced = () if status is None else (f"@{status}",)
        params = sorted((k, repr(v)) for k, v in call.params.items())
        key = (operation.operation_id, *forced, *params)
        return self._generated.get_or_build(key, lambda: self._generate(operation, key, status))

    def _generate(
        self, operation: Operation, key: tuple[Any, ...], forced: int | None = None
    ) -> Reply:
        status, response = operation.success
        if forced is not None:
            status, response = forced, operation.response_for(forced) or response
        headers = self.faker.headers(response, *key)
        media = response.media_type
        if media is None:
            return Reply(status, b"", None, headers)
        schema = response.content[media].schema or {}
        value = self.faker.generate(schema, *key)
        body = json_bytes(value) if "json" in media else str(value).encode()
        return Reply(status, body, media, headers)


def check_operations(spec: ApiSpec, vendor: Vendor) -> None:
    """Every operation the vendor claims to answer is one of its spec's (else RegistryError)."""
    known = {operation.operation_id for operation in spec.operations}
    unknown = sorted(set(vendor.operations) - known)
    if unknown:
        raise RegistryError(
            f"{vendor.name}: behaviour for {', '.join(map(repr, unknown))}, not an operationId "
            f"of {vendor.spec_file} (it has: {', '.join(sorted(known))})"
        )


def check_handlers(spec: ApiSpec, vendor: Vendor, backend: Backend) -> None:
    """A data version is a :class:`Backend` answering exactly the operations its vendor claims
    (else RegistryError)."""
    if not isinstance(backend, Backend):
        raise RegistryError(
            f"{vendor.name}: build() made a {type(backend).__name__}, not a Backend"
        )
    handled = set(backend.handlers)
    extra, missing = (
        sorted(handled - set(vendor.operations)),
        sorted(set(vendor.operations) - handled),
    )
    if extra or missing:
        problems = [f"a handler for {name!r}, which it does not claim" for name in extra]
        problems += [f"no handler for {name!r}, which it claims" for name in missing]
        raise RegistryError(f"{vendor.name}: the backend has {'; '.join(problems)}")
