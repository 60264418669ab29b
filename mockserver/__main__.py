"""``python -m mockserver`` and the ``mockserver`` command (``run``)."""

import gc
import os
import sys


def run() -> int:
    """The command line, with the cyclic collector paused for its start-up (``cli.main`` turns
    it on again): start-up makes long-lived objects and next to no garbage, and collections
    while they are made cost ~10% of it (issue 25). NumPy's BLAS gets one thread unless the
    caller says otherwise: the mock does no linear algebra, and the thread pool OpenBLAS starts
    when NumPy is imported costs ~25 ms of CPU (more wall time on a busy machine)."""
    gc.disable()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from mockserver.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
