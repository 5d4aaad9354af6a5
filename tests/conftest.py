"""Fixtures over the real program run under the shared mock engine (offline/)."""

from __future__ import annotations

import functools

import pytest

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
