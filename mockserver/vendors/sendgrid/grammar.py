"""How SendGrid reads scalar query values: Go's ``strconv`` rules.

SendGrid's v3 API services are written in Go; a query boolean is read with
``strconv.ParseBool`` (``1 t T TRUE true True`` / ``0 f F FALSE false False``, nothing else:
``yes`` or ``on`` are refused with a 400), integers with ``strconv.Atoi`` (ASCII digits and a
sign, no spaces or underscores) and numbers with ``strconv.ParseFloat`` (decimal forms, and
``inf`` / ``infinity`` / ``nan`` in any case). A name sent twice where one value is read is read
with ``url.Values.Get``: the first value. The inference is recorded in the spec's ``x-inferred``
notes of the boolean parameters and of ``parent_list_ids``.
"""

from __future__ import annotations

from mockserver.params.grammar import Grammar, regex_integer, regex_number, table_boolean

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")

GO_STRCONV = Grammar(
    integer=regex_integer(r"[+-]?[0-9]+"),
    number=regex_number(
        r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
        r"|(?i:inf|infinity|nan))"
    ),
    boolean=table_boolean({**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}, False),
    repeated="first",
)
