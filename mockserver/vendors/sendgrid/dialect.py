"""SendGrid's error dialect: ``{"errors": [{"field": ..., "message": ...}]}``."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.params.errors import ParamError, describe
from mockserver.serialize import json_bytes
from mockserver.spec.model import Operation
from mockserver.vendors.interface import Reply


def errors_reply(status: int, *errors: tuple[str | None, str], headers=()) -> Reply:
    body = {"errors": [{"field": field, "message": message} for field, message in errors]}
    return Reply(status, json_bytes(body), "application/json", tuple(headers))


class SendGridDialect:
    def invalid_parameters(self, operation: Operation, errors: Sequence[ParamError]) -> Reply:
        return errors_reply(400, *((error.field, describe(error)) for error in errors))

    def not_found(self) -> Reply:
        return errors_reply(404, (None, "resource not found"))

    def method_not_allowed(self, allowed: Sequence[str]) -> Reply:
        return errors_reply(
            405, (None, "method not allowed"), headers=(("Allow", ", ".join(allowed)),)
        )

    def error(self, status: int, message: str, field: str | None = None) -> Reply:
        return errors_reply(status, (field, message))

    def unauthenticated(self) -> Reply:
        return errors_reply(401, (None, "authorization required"))
