"""Parameter decoding and validation: raw strings from the request -> typed values or errors."""
