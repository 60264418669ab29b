"""Parameter decoding and validation: raw strings from the request -> typed values or errors."""

from mockserver.params.decode import OperationDecoder, RawRequest
from mockserver.params.errors import ParamError

__all__ = ["OperationDecoder", "ParamError", "RawRequest"]
