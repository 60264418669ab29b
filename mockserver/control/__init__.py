"""The control plane under ``/__mockserver``: journal, reset, data loads, scenarios, faults.

``actions`` (what it does, over an explicit :class:`~mockserver.control.actions.ControlTarget`),
``api`` (the HTTP endpoints), ``loading`` (a data load over HTTP: bounded, tied to its request),
``guard`` (who may call it, and from where), ``cors`` (none, unless ``--control-origin``),
``mount`` (where it lives), ``index`` (the page).
"""
