"""The policy pack's directory and the interpreter the CLI starts it with; light, so that a check that the
pack's environment is installed (the test session's first step) loads no SDK."""

from __future__ import annotations

from pathlib import Path

from workshop.project import load_project_file

# This tree's pack, from this file's place: not workshop.project's ROOT, which is another tree's while
# `make plan --root` or `--against-ref` imports the program's packages from there (offline.plan.program_tree).
POLICY_PACK = Path(__file__).resolve().parent.parent / "policies"


def pack_python(pack: Path = POLICY_PACK) -> Path:
    """The interpreter the CLI runs the pack with: `<pack>/<virtualenv>/bin/python` (PulumiPolicy.yaml)."""
    manifest = load_project_file(pack / "PulumiPolicy.yaml")
    virtualenv = ((manifest.get("runtime") or {}).get("options") or {}).get("virtualenv")
    if not virtualenv:
        raise RuntimeError(f"{pack / 'PulumiPolicy.yaml'} names no runtime.options.virtualenv")
    venv = pack / virtualenv
    # scripts/install.py renames a finished environment into place with its stamp: no stamp, no pack.
    if not (venv / "bin" / "python").exists() or not (venv / ".installed").exists():
        raise PackEnvironmentMissing(f"the policy pack's virtualenv {venv} is missing or not installed from "
                                     f"{pack / 'uv.lock'}: run `make install`")
    return venv / "bin" / "python"


class PackEnvironmentMissing(RuntimeError):
    """No installed virtualenv to start the pack with."""

