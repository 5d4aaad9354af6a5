"""Install the virtualenvs from their lock files: ./venv (pyproject.toml, uv.lock) and policies/venv
(policies/pyproject.toml, policies/uv.lock), and on request tools/scan/venv (checkov, for make scan),
each exactly as locked, hashes checked by uv.

    python3 scripts/install.py               install what is missing or out of date (make install)
    python3 scripts/install.py --with scan   the same, and tools/scan/venv (make scan)
    python3 scripts/install.py --check       fail when a lock no longer matches its pyproject.toml (CI)

Runs on the system Python with the standard library only: it is what creates the virtualenvs.

- uv: the one on PATH if it is the pinned version (scripts/uv-requirements.txt), else that version is
  installed once into .tools/ from PyPI with its hashes.
- Atomic: an environment is built aside (`<venv>.new`, relocatable) and renamed into place, so a
  reader sees the old environment or the new one, never half of one.
- Serialised: one install at a time per checkout (a lock on .tools/install.lock); a second `make`
  waits, then finds the environment current and does nothing.
- Current means the stamp `<venv>/.installed` records the hash of pyproject.toml, uv.lock, the uv
  version and the Python that built it.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
UV_REQUIREMENTS = ROOT / "scripts" / "uv-requirements.txt"
STAMP = ".installed"


@dataclass(frozen=True)
class Environment:
    project: Path  # the folder with pyproject.toml and uv.lock
    venv: Path  # where Pulumi.yaml / PulumiPolicy.yaml say the virtualenv is

    @property
    def name(self) -> str:
        return str(self.venv.relative_to(ROOT))


# The virtualenv names come from Pulumi.yaml and policies/PulumiPolicy.yaml (`virtualenv: venv`).
ENVIRONMENTS = (Environment(ROOT, ROOT / "venv"), Environment(ROOT / "policies", ROOT / "policies" / "venv"))
# Installed only when asked for: checkov's 300 MB serve make scan alone.
OPTIONAL = {"scan": Environment(ROOT / "tools" / "scan", ROOT / "tools" / "scan" / "venv")}


def uv_version() -> str:
    """The pinned uv version, from the hashed requirement that installs it."""
    found = re.search(r"^uv==(\S+)", UV_REQUIREMENTS.read_text(), re.MULTILINE)
    assert found, f"{UV_REQUIREMENTS} pins no uv version"
    return found.group(1)


def locked_versions(lock: Path) -> dict[str, str]:
    """Package name -> version, as a uv.lock records them."""
    return {p["name"]: p["version"] for p in tomllib.loads(lock.read_text())["package"] if "version" in p}


def find_uv() -> str:
    """uv at the pinned version: from PATH if it is that version, else installed once into .tools/."""
    version = uv_version()
    on_path = shutil.which("uv")
    if on_path:
        out = subprocess.run([on_path, "--version"], capture_output=True, text=True).stdout.split()
        if out[1:2] == [version]:
            return on_path
    target = TOOLS / f"uv-{version}"
    uv = target / "bin" / "uv"
    if not uv.exists():
        print(f"installing uv {version} into {target.relative_to(ROOT)} (once)", file=sys.stderr, flush=True)
        aside = target.with_name(target.name + f".new-{os.getpid()}")
        # --target writes into .tools/ only, so pip's warning about running as root (CI) says nothing here.
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--root-user-action=ignore",
                        "--no-deps", "--require-hashes", "--target", str(aside), "-r", str(UV_REQUIREMENTS)],
                       check=True)
        aside.rename(target)
    return str(uv)


def stamp_of(env: Environment) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "uv.lock"):
        digest.update((env.project / name).read_bytes())
    digest.update(uv_version().encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def is_current(env: Environment) -> bool:
    stamp = env.venv / STAMP
    return stamp.exists() and stamp.read_text().strip() == stamp_of(env)


def uv_env() -> dict[str, str]:
    # Never fetch an interpreter behind the user's back: the system Python builds both environments.
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def build(env: Environment, uv: str) -> None:
    """Build the environment aside, then rename it into place."""
    aside = env.venv.with_name(env.venv.name + ".new")
    shutil.rmtree(aside, ignore_errors=True)  # a build a killed install left behind
    print(f"installing {env.name} from {(env.project / 'uv.lock').relative_to(ROOT)}", flush=True)
    run_env = {**uv_env(), "UV_PROJECT_ENVIRONMENT": str(aside)}
    subprocess.run([uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(aside)],
                   check=True, env=run_env)
    subprocess.run([uv, "sync", "--quiet", "--frozen", "--project", str(env.project)], check=True, env=run_env)
    (aside / STAMP).write_text(stamp_of(env) + "\n")
    old = env.venv.with_name(env.venv.name + f".old-{os.getpid()}")
    if env.venv.exists():
        env.venv.rename(old)
    aside.rename(env.venv)
    shutil.rmtree(old, ignore_errors=True)


def install(extra: tuple[str, ...] = ()) -> int:
    TOOLS.mkdir(exist_ok=True)
    with open(TOOLS / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        uv = find_uv()
        for env in (*ENVIRONMENTS, *(OPTIONAL[name] for name in extra)):
            if not is_current(env):
                build(env, uv)
    return 0


def check() -> int:
    """Each lock must match its pyproject.toml: an edited pin without `make lock` fails here."""
    uv = find_uv()
    stale = [env for env in (*ENVIRONMENTS, *OPTIONAL.values())
             if subprocess.run([uv, "lock", "--check", "--quiet", "--project", str(env.project)],
                               env=uv_env(), capture_output=True).returncode != 0]
    for env in stale:
        lock = (env.project / "uv.lock").relative_to(ROOT)
        print(f"error: {lock} does not match {lock.with_name('pyproject.toml')}: run `make lock` and commit "
              f"{lock}", file=sys.stderr)
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the locks are up to date")
    parser.add_argument("--print-uv", action="store_true", help="print the path of the pinned uv")
    parser.add_argument("--with", dest="extra", action="append", default=[], choices=sorted(OPTIONAL),
                        help="also install this optional environment")
    args = parser.parse_args(argv)
    if args.print_uv:
        print(find_uv())
        return 0
    return check() if args.check else install(tuple(args.extra))


if __name__ == "__main__":
    raise SystemExit(main())
