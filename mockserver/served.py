"""What the request path reads of one served API: a Protocol, so the pipeline and the responder
depend on this small surface and not on ``runtime.ApiRuntime``, which builds and swaps it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mockserver.generate import SchemaFaker
from mockserver.spec.model import ApiSpec
from mockserver.vendors.interface import Backend, Call, ErrorDialect, Reply, Vendor

if TYPE_CHECKING:
    from mockserver.conformance.validator import ResponseValidator


class ServedApi(Protocol):
    spec: ApiSpec
    vendor: Vendor
    faker: SchemaFaker
    backend: Backend  # the data version in service, swapped whole by a load or a reset
    strict_params: bool

    @property
    def name(self) -> str: ...
    @property
    def dialect(self) -> ErrorDialect: ...
    @property
    def validator(self) -> ResponseValidator | None: ...
    def generated_reply(self, call: Call, status: int | None = None) -> Reply: ...
