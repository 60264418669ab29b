"""Moved to tests/processes.py (``MockProcess``); this name stays only until the files that still
import it (tests/reliability/test_guarded_protocol.py) are converted."""

from tests.processes import MockProcess as ServeProcess

__all__ = ["ServeProcess"]
