"""The control plane under ``/__mockserver``: journal, reset, data loads, scenarios, faults.

``actions`` (what it does, over an explicit :class:`~mockserver.control.actions.ControlTarget`),
``api`` (the HTTP endpoints), ``loading`` (a data load over HTTP: bounded, tied to its request),
``guard`` (who may call it, from where, and that no page may frame it), ``mount`` (where it
lives: its routes, and the router sending ``/__mockserver`` around the data plane's CORS),
``index`` (the page). Its CORS (none, unless ``--control-origin``) is in ``mockserver.cors``.
"""

#: Where the control plane lives, in the mock's app and in the proxy's.
PREFIX = "/__mockserver"
