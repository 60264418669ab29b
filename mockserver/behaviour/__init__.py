"""The contract between the engine and a vendor package."""

from mockserver.behaviour.contract import (
    Backend,
    Call,
    CliOption,
    ErrorDialect,
    GeneratedBackend,
    Handler,
    Reply,
    Vendor,
    VendorOptions,
)

__all__ = [
    "Backend",
    "Call",
    "CliOption",
    "ErrorDialect",
    "GeneratedBackend",
    "Handler",
    "Reply",
    "Vendor",
    "VendorOptions",
]
