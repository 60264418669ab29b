"""The journal stage: what the mock was asked and what it answered, secrets masked.

``record`` describes an entry, ``masking`` hides secrets, ``recorder`` writes one entry and one
log line per request. Where entries are kept is the business of ``mockserver.state``.
"""
