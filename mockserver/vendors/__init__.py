"""The vendor packages: each one is an API's data model, behaviour and error dialect."""

from __future__ import annotations

from importlib import import_module

from mockserver.vendors.interface import Vendor

#: API name -> module holding its ``VENDOR``. The only place the engine learns vendor names.
REGISTRY = {
    "actionhub": "mockserver.vendors.actionhub",
    "sendgrid": "mockserver.vendors.sendgrid",
}


def vendor(api: str) -> Vendor:
    try:
        module = REGISTRY[api]
    except KeyError:
        raise ValueError(f"unknown api {api!r}; choose from {', '.join(REGISTRY)}") from None
    return import_module(module).VENDOR
