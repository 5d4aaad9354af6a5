"""What the garbage collector costs a program run and a planning process's exit, with and without the
runner's settings (offline/runner.py: RUN_GC_THRESHOLD during a run, everything frozen at exit).
Prints the figures; asserts nothing.

    venv/bin/python bench/gc_figures.py [--rounds 5]

- warm runs: every stack run once (imports done), then each round runs every stack again in this
  process; the median round, at CPython's default gen-0 threshold and at the runner's.
- exit: a fresh process runs dev, then exits; the time from its last statement to its end, with the
  runner's exit hook and with the hook removed (the median of the rounds).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import offline.runner as runner  # noqa: E402

EXIT_PROBE = """
import atexit, sys, time
import offline.runner as runner
runner.run_stack("dev")
if sys.argv[1] == "without":
    atexit.unregister(runner._at_exit)
print(time.time(), flush=True)
"""


def warm_rounds(threshold: int, rounds: int) -> float:
    runner.RUN_GC_THRESHOLD = threshold
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for stack in runner.STACKS:
            runner.run_stack(stack)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def exit_seconds(variant: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        result = subprocess.run([sys.executable, "-c", EXIT_PROBE, variant], cwd=ROOT, capture_output=True,
                                text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
        times.append(time.time() - float(result.stdout.split()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    ours = runner.RUN_GC_THRESHOLD
    for stack in runner.STACKS:
        runner.run_stack(stack)
    default = warm_rounds(gc.get_threshold()[0], rounds)
    tuned = warm_rounds(ours, rounds)
    print(f"every stack's warm run, gen-0 threshold {gc.get_threshold()[0]}: {default:.3f} s; "
          f"{ours}: {tuned:.3f} s ({tuned / default:.2f}x)")
    without, with_hook = exit_seconds("without", rounds), exit_seconds("with", rounds)
    print(f"a process's exit after running dev, no exit hook: {without:.3f} s; "
          f"with it: {with_hook:.3f} s ({with_hook / without:.2f}x)")


if __name__ == "__main__":
    main()
