"""Wall time of `mockserver contract` over the bundled mock: both APIs, all phases, 100 examples.

The same run as tests/contract/test_mock_conforms.py (in-process, seed fixed), timed per API.
Usage: .venv/bin/python bench/contract.py [--runs 3] [--max-examples 100] [--seed 20260101]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from mockserver.cli import parser as cli_parser
from mockserver.cli.flags import options
from mockserver.contract.options import ContractOptions
from mockserver.contract.runner import run

APIS = ("actionhub", "sendgrid")


def one_run(api: str, max_examples: int, seed: int) -> tuple[float, int, str]:
    args = ["contract", "--api", api, "--max-examples", str(max_examples), "--seed", str(seed)]
    out = io.StringIO()
    started = time.perf_counter()
    code = run(options(cli_parser().parse_args(args), ContractOptions), {}, out, io.StringIO())
    return time.perf_counter() - started, code, out.getvalue().strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    totals = []
    for index in range(args.runs):
        total = 0.0
        for api in APIS:
            elapsed, code, summary = one_run(api, args.max_examples, args.seed)
            total += elapsed
            print(f"run {index + 1} {api:<9} {elapsed:6.1f}s exit {code}: {summary}")
        totals.append(total)
    print(
        f"both APIs, all phases, {args.max_examples} examples, {args.runs} runs: "
        f"median {statistics.median(totals):.1f}s, max {max(totals):.1f}s"
    )


if __name__ == "__main__":
    main()
