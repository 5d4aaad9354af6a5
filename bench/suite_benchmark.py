"""What a developer waits for: `make test` and a fresh clone's first `make plan`, each against a warm
`make plan` of every stack; a class of 30 stacks planned at once against one stack's warm plan; and
what the runner's garbage-collector settings save (bench/gc_figures.py).
Prints the figures and writes them to docs/benchmarks.md; asserts nothing.

    venv/bin/python bench/suite_benchmark.py [--runs 3]      (make bench)

- warm plan: `make plan` in this checkout, environments installed, bytecode cached (median of runs).
- make test: the whole suite as README runs it (median of runs).
- fresh clone, first plan: this tree (HEAD plus uncommitted changes) cloned to a temporary folder with
  no virtualenv, no .tools and no bytecode, then `make plan`: uv found or installed, both environments
  installed from their locks, every module compiled on first import. uv's and pip's download caches
  are the machine's own (warm after the first install here), as on a developer's machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
# The bounds the project holds its speed to (docs/benchmarks.md), as multiples of a warm make plan.
BOUNDS = {"make test": 6.0, "fresh clone, first make plan": 4.0}
# A class of this many stacks (make class) planned at once, against this share of planning them one by one.
CLASS_SIZE = 30
CLASS_BOUND = 0.6


def seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} in {cwd} failed ({result.returncode}):\n{result.stdout[-3000:]}"
                         f"\n{result.stderr[-3000:]}")
    return elapsed


def median(command: list[str], cwd: Path, runs: int) -> float:
    return statistics.median(seconds(command, cwd) for _ in range(runs))


def clone_of_this_tree(into: Path) -> Path:
    """HEAD cloned, then the working tree's changes and new files laid over it."""
    tree = into / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(tree)], check=True)
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=tree, input=diff, check=True)
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, untracked):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    return tree


def class_benchmark(runs: int) -> tuple[float, float, float]:
    """One stack's warm plan and the whole class's, in a clone with a class of CLASS_SIZE; and the peak
    resident memory of the planning processes (MB)."""
    make = ["make", "--no-print-directory"]
    accounts = ",".join(f"{100000000001 + i:012d}" for i in range(CLASS_SIZE // 2))
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        tree = clone_of_this_tree(Path(tmp))
        seconds([*make, "class", f"N={CLASS_SIZE}", "TEMPLATE=dev", f"ACCOUNTS={accounts}"], tree)
        seconds([*make, "plan", "STACK=class-01"], tree)  # installs and compiles once, outside the timing
        plan = [str(tree / "venv" / "bin" / "python"), "-m", "offline.plan", "--quiet"]
        one = median([*plan, "--stack", "class-01"], tree, runs)
        everyone = [*plan, *(a for i in range(1, CLASS_SIZE + 1) for a in ("--stack", f"class-{i:02d}"))]
        whole = median(everyone, tree, runs)
        # The largest process of one more run, measured by a wrapper of its own (this process has run others).
        wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        peak_kb = subprocess.run([sys.executable, "-c", wrapper, *everyone], cwd=tree, capture_output=True, text=True,
                                 check=True).stdout.strip()
    return one, whole, int(peak_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    make = ["make", "--no-print-directory"]
    subprocess.run([*make, "install"], cwd=ROOT, check=True, capture_output=True)
    warm = median([*make, "plan"], ROOT, runs + 2)
    test = median([*make, "test"], ROOT, runs)
    firsts = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
            tree = clone_of_this_tree(Path(tmp))
            firsts.append(seconds([*make, "plan"], tree))
    fresh = statistics.median(firsts)
    one, class_plan, peak_mb = class_benchmark(runs)
    collector = subprocess.run([sys.executable, str(ROOT / "bench" / "gc_figures.py"), "--rounds", str(runs + 2)],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    rows = [("warm make plan (every stack)", warm, None),
            ("make test", test, BOUNDS["make test"]),
            ("fresh clone, first make plan", fresh, BOUNDS["fresh clone, first make plan"])]
    lines = ["# Benchmarks", "",
             "Generated by `make bench` (bench/suite_benchmark.py); not edited by hand. One run, medians of "
             f"{runs} (warm plan: {runs + 2}), on {dt.date.today().isoformat()}, commit {commit}"
             f"{' with uncommitted changes' if dirty else ''}, {os.cpu_count()} cores.", "",
             "| what | seconds | x warm plan | bound |", "|---|---|---|---|"]
    for name, value, bound in rows:
        ratio = value / warm
        lines.append(f"| {name} | {value:.2f} | {ratio:.2f} | {'' if bound is None else f'{bound:g}'} |")
    lines += ["", "The fresh clone reuses the machine's uv download cache, as a developer's clone does; a machine "
              "that has never installed these packages downloads them first.", "",
              f"## A class of {CLASS_SIZE} stacks", "",
              f"`make class N={CLASS_SIZE}` in a clone of this tree (15 accounts), then `make plan` of the {CLASS_SIZE} class "
              f"stacks at once, against {CLASS_SIZE} times one stack's warm plan (`make plan STACK=class-01`).", "",
              "| what | seconds | x (30 x one stack) | bound |", "|---|---|---|---|",
              f"| one stack's warm plan | {one:.2f} | | |",
              f"| {CLASS_SIZE} stacks planned at once | {class_plan:.2f} | {class_plan / (CLASS_SIZE * one):.2f} | "
              f"{CLASS_BOUND:g} |", "",
              f"Peak memory of one planning process: {peak_mb:.0f} MB (its policy packs are processes of their own).",
              "", "## The garbage collector", "",
              "What offline/runner.py's settings save (bench/gc_figures.py, medians of "
              f"{runs + 2}): a higher gen-0 threshold during a run, and every object frozen at exit.", "",
              *(f"- {line}" for line in collector), ""]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
