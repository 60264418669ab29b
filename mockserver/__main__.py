"""``python -m mockserver`` and the ``mockserver`` command (``run``)."""

import gc
import sys


def run() -> int:
    """The command line, with the cyclic collector paused for its start-up.

    Start-up makes tens of thousands of long-lived objects (modules, specs, the data) and next to
    no garbage: collections while they are made cost ~10% of it (issue 25). The collector is on
    again once the command's start-up is done (``cli.main``; ``serve`` once the app is built).
    """
    gc.disable()
    from mockserver.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
