"""Fixtures over the real program run under the shared mock engine (offline/)."""

from __future__ import annotations

import functools
import os

import pytest

from workshop.versions import AS_OF_ENV

# Support windows are judged on a date: the tests pin the one the catalogue was taken on, so that the
# verdicts they assert don't change as the calendar moves (the date-dependent cases pass dates).
PLAN_DATE = "2026-11-25"
os.environ[AS_OF_ENV] = PLAN_DATE

from offline.runner import STACKS, ProgramRun, run_stack


@functools.lru_cache(maxsize=None)
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
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))


def pytest_sessionstart(session):
    """Without the pack's environment every policy and plan test would fail on its own: stop once, saying
    which command installs it."""
    from offline.analyzer import PackEnvironmentMissing, pack_python

    try:
        pack_python()
    except PackEnvironmentMissing as e:
        pytest.exit(str(e), returncode=2)
