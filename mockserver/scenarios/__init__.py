"""Per-request and run-time control of answers: Prefer header, scenarios, faults."""

from mockserver.scenarios.prefer import Preference, parse_prefer
from mockserver.scenarios.responder import Responder
from mockserver.scenarios.store import Fault, Scenario, ScenarioStore, parse_latency, parse_rate

__all__ = [
    "Fault",
    "Preference",
    "Responder",
    "Scenario",
    "ScenarioStore",
    "parse_latency",
    "parse_prefer",
    "parse_rate",
]
