"""``python -m mockserver`` and the ``mockserver`` command (``run``)."""

import gc
import sys


def run() -> int:
    """The command line, with the cyclic collector paused for its start-up (``cli.main`` turns
    it on again): start-up makes long-lived objects and next to no garbage, and collections
    while they are made cost ~10% of it (issue 25)."""
    gc.disable()
    from mockserver.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
