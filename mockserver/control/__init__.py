"""The control plane under ``/__mockserver``: journal, reset, data loads, scenarios, faults."""

from mockserver.control.actions import ControlError, load_data, reset, set_scenario
from mockserver.control.plane import PREFIX, control_middleware, control_routes, masker_for

__all__ = [
    "PREFIX",
    "ControlError",
    "control_middleware",
    "control_routes",
    "load_data",
    "masker_for",
    "reset",
    "set_scenario",
]
