"""The control plane under ``/__mockserver``: journal, reset, data loads, scenarios, faults.

``actions`` (what it does, over an explicit :class:`~mockserver.control.actions.ControlTarget`),
``api`` (the HTTP endpoints), ``guard`` (who may call it), ``mount`` (where it lives),
``cors`` (browser apps), ``index`` (the page).
"""
