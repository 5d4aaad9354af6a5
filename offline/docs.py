"""README sections that need the offline tools: the roles' IAM actions (offline/iam_actions.py) and the
sample summary `make plan` prints for dev, each rewritten between its markers by `make docs`, so neither
can drift (tests/test_docs.py). workshop/docs.py generates the sections that need only the config model.

    venv/bin/python -m offline.docs        (part of `make docs`)
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from offline.iam_actions import iam_section

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# The sample is planned on the date the tests pin, so that it changes only when the program does.
SAMPLE_DATE = "2026-11-25"
SECTIONS = {"iam": lambda: iam_section(), "plan-sample": lambda: plan_sample()}


def plan_sample() -> str:
    """The summary `make plan STACK=dev` prints (its first block), planned on SAMPLE_DATE."""
    from offline.plan import main

    out = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(io.StringIO()):
        main(["--stack", "dev", "--out-dir", tmp, "--as-of", SAMPLE_DATE])
    summary = out.getvalue().split("\n\n", 1)[0]
    return f"```\n{summary}\n…\n```"


def render(text: str, names: tuple[str, ...] = tuple(SECTIONS)) -> str:
    for name in names:
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        head, found, rest = text.partition(start)
        if not found:
            raise SystemExit(f"{README}: no {start} marker")
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{SECTIONS[name]()}\n{end}{tail}"
    return text


def main() -> int:
    README.write_text(render(README.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
