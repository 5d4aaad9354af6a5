"""How much `make plan` costs over the bare mock execution of the program. Prints figures; asserts nothing.

    venv/bin/python bench/plan_benchmark.py [--runs 7]

Each figure is the median wall time of fresh processes (interpreter start and imports included, as a
user pays them): the plan tool for one stack and for all stacks (what `make plan STACK=dev` and
`make plan` run), and the program alone under the same mock engine with none of the tool's extras.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    py = sys.executable
    with tempfile.TemporaryDirectory() as out:
        bare = median_seconds([py, "-c", "from offline.runner import run_stack; run_stack('dev')"], runs)
        one = median_seconds([py, "-m", "offline.plan", "--stack", "dev", "--out-dir", out], runs)
        every = median_seconds([py, "-m", "offline.plan", "--out-dir", out], runs)
        bare_all = median_seconds([py, "-c", "from offline.runner import run_stack\n"
                                   "for s in ('dev', 'staging', 'prod'): run_stack(s)"], runs)
    print(f"runs per figure: {runs} (median wall time, fresh process each)")
    print(f"bare mock execution, dev:        {bare:6.3f} s")
    print(f"make plan STACK=dev:             {one:6.3f} s   overhead x{one / bare:.2f}")
    print(f"bare mock execution, 3 stacks:   {bare_all:6.3f} s")
    print(f"make plan (3 stacks):            {every:6.3f} s   overhead x{every / bare_all:.2f}")


if __name__ == "__main__":
    main()
