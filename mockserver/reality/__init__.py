"""The reality loop: the mock checked against the real vendor, not only against the documents.

``proxy`` forwards an app's requests to a real deployment and validates both directions against
the bundled spec (``checks``); with ``--record`` it writes a cassette (``cassette``, ``redact``)
that ``mockserver serve --replay`` answers from (``replay``); ``verify`` re-sends the requests an
app really made to the bundled mock and to a deployment and compares the answers by shape
(``shape``). Vendor-neutral: vendor facts come through the ``Vendor`` protocol.
"""
