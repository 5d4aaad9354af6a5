"""What the plan tests share: the command run in-process, a program copy to change, dev's plan."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import PLAN_DATE

from offline.plan import main, with_as_of
from workshop.project import PROGRAM_SOURCES

ROOT = Path(__file__).resolve().parent.parent
# The stack files this repository ships (a stack of your own beside them changes no test: your-own-stack.md).
COMMITTED_STACKS = ("dev", "staging", "prod", "dev-auto")
PROGRAM_FILES = ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", *PROGRAM_SOURCES]


def dated(policy_config: dict) -> dict:
    """A policy config judged on the suite's plan date (conftest.PLAN_DATE), as the program is, not today."""
    return with_as_of(policy_config, dt.date.fromisoformat(PLAN_DATE))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    plan: dict | None = None


@contextlib.contextmanager
def capture():
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        yield stdout, stderr


@pytest.fixture
def plan_cli(capsys) -> Callable[..., Result]:
    """The command in this process (`offline.plan.main`, what `python -m offline.plan` runs), its output
    captured; a changed program copy is imported from its own tree (offline.plan.program_tree)."""
    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's usage errors
            code = e.code if isinstance(e.code, int) else 2
        out = capsys.readouterr()
        return Result(code, out.out, out.err)
    return run


@pytest.fixture
def program_copy(tmp_path) -> Path:
    """A copy of the program to change, planned with this repository's tool and policy pack."""
    for name in PROGRAM_FILES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    return tmp_path


def edit_stack(root: Path, stack: str, key: str, change) -> None:
    path = root / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["config"].setdefault(key, {}))
    path.write_text(yaml.safe_dump(data))


