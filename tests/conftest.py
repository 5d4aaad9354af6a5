"""Fixtures over the real program run under the shared mock engine (offline/)."""

from __future__ import annotations

import os

import pytest

from workshop.project import PROGRAM_SOURCES
from workshop.versions import AS_OF_ENV

# Support windows are judged on a date: the tests pin the one the catalogue was taken on, so that the
# verdicts they assert don't change as the calendar moves (the date-dependent cases pass dates).
PLAN_DATE = "2026-11-25"
os.environ[AS_OF_ENV] = PLAN_DATE

import gc  # noqa: E402
import json  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from workshop.project import ROOT, stacks  # noqa: E402

if TYPE_CHECKING:
    from plan_support import Result

    from offline.runner import ProgramRun

STACKS = tuple(stacks())

# One run per distinct input, shared by every test that asks for it (the plan command's included):
# the program is deterministic in its inputs (a test below proves it on fresh runs), and tests only
# read a run. The key is everything a run depends on: stack, tree, overrides, mode, what the account
# holds, and the plan date the program judges support windows on. Failed runs are not kept.
_RUNS: dict[str, ProgramRun] = {}


def _before_sharing(*_args: object, **_kwargs: object) -> ProgramRun:
    raise RuntimeError("the runner's run_stack is taken at session start")


# The runner's own run_stack (a fresh run every call), kept when the shared one replaces it.
run_stack_uncached: Callable[..., ProgramRun] = _before_sharing


def _tree_fingerprint(root: Path, stack: str) -> list:
    """What a test may change in a tree between two runs: the stack file's text, the program's sources."""
    stack_file = root / f"Pulumi.{stack}.yaml"
    # Not __pycache__: bytecode written mid-session is no change.
    sources = [path for source in PROGRAM_SOURCES for path in
               ([root / source] if source.endswith(".py") else [*root.glob(f"{source}/**/*.py"),
                                                               *root.glob(f"{source}/**/*.json")])]
    return [stack_file.read_text() if stack_file.exists() else None,
            max((s.stat().st_mtime_ns for s in sources if s.is_file()), default=0)]


def _shared_run_stack(stack, root=ROOT, overrides=None, preview=False, live=None,
                      missing_parameters=frozenset(), log_groups=frozenset()):
    key = json.dumps([stack, str(root), _tree_fingerprint(Path(root), stack), overrides or None, preview, repr(live),
                      sorted(missing_parameters), sorted(log_groups), os.environ.get(AS_OF_ENV)],
                     sort_keys=True, default=repr)
    if key not in _RUNS:
        _RUNS[key] = run_stack_uncached(stack, root, overrides, preview, live, missing_parameters, log_groups)
        _kept_for_the_session()
    return _RUNS[key]


def _kept_for_the_session() -> None:
    """A kept run lives until the session ends, and a run is some hundred thousand objects: every later
    full pass of the garbage collector walked every kept run again (pytest's last pass alone took most of
    a second a worker). The run's own garbage is collected now; what stays is frozen, out of reach."""
    gc.collect()
    gc.freeze()


run_stack = _shared_run_stack


def _run(stack: str) -> ProgramRun:
    return run_stack(stack)


@pytest.fixture(params=STACKS)
def any_stack(request) -> ProgramRun:
    return _run(request.param)


@pytest.fixture
def dev() -> ProgramRun:
    return _run("dev")


@pytest.fixture
def staging() -> ProgramRun:
    return _run("staging")


@pytest.fixture
def prod() -> ProgramRun:
    return _run("prod")


# The policy pack's modules import as the CLI runs them: from inside policies/.
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))


def pytest_sessionstart(session):
    """Without the pack's environment every policy and plan test would fail on its own: stop once, saying
    which command installs it. Then, where tests run, before any test module or the plan command imports
    run_stack by name, the shared run replaces the runner's. (Not at import: pytest-xdist's controller,
    which runs no test, would load the SDK for nothing before it starts a worker.)"""
    from offline.pack_env import PackEnvironmentMissing, pack_python

    try:
        pack_python()
    except PackEnvironmentMissing as e:
        pytest.exit(str(e), returncode=2)
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        _share_runs()


def _share_runs() -> None:
    global run_stack_uncached
    if run_stack_uncached is not _before_sharing:
        return
    import offline.runner

    run_stack_uncached = offline.runner.run_stack
    offline.runner.run_stack = _shared_run_stack


# Shared by test_plan, test_plan_gate and test_docs: here, so that a worker plans dev once for all of them.
@pytest.fixture(scope="session")
def dev_cli(tmp_path_factory) -> Result:
    """`make plan STACK=dev` once per worker: its exit code and printout (tests read, never change it)."""
    from plan_support import Result, capture

    from offline.plan import main

    out = tmp_path_factory.mktemp("plan")
    with capture() as (stdout, stderr):
        code = main(["--stack", "dev", "--out-dir", str(out)])
    result = Result(code, stdout.getvalue(), stderr.getvalue())
    result.plan = json.loads((out / "plan-dev.json").read_text())
    return result


@pytest.fixture(scope="session")
def dev_plan(dev_cli) -> dict:
    return dev_cli.plan
