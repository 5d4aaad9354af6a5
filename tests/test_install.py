"""Both virtualenvs come from committed uv locks, as the Pulumi CLI's uv toolchain installs them; the
installer (scripts/install.py) is atomic and serialised, and a stale lock fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from scripts import install
from scripts.install import ENVIRONMENTS, locked_versions

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("project_file", ["Pulumi.yaml", "policies/PulumiPolicy.yaml"])
def test_the_cli_installs_from_the_lock_into_the_venv_make_uses(project_file):
    options = yaml.safe_load((ROOT / project_file).read_text())["runtime"]["options"]
    # toolchain uv: `pulumi install` runs `uv sync`, every up/preview `uv sync --inexact`, both from uv.lock
    # into UV_PROJECT_ENVIRONMENT=<virtualenv> (pulumi/pulumi sdk/python/toolchain/uv.go).
    assert options == {"toolchain": "uv", "virtualenv": "venv"}
    folder = (ROOT / project_file).parent
    assert (folder / "uv.lock").exists() and (folder / "pyproject.toml").exists()
    assert folder / "venv" in {env.venv for env in ENVIRONMENTS}
    # No requirements.txt for `pulumi install` to convert (and delete), no constraints file it ignores.
    assert not (folder / "requirements.txt").exists() and not (folder / "constraints.txt").exists()


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them (ruamel.yaml and ruamel-yaml are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_each_project_is_not_a_package_and_every_locked_file_has_a_hash(env):
    pyproject = tomllib.loads((env.project / "pyproject.toml").read_text())
    # Nothing to build: with a build backend `pulumi install` would also pip-install the folder.
    assert "build-system" not in pyproject and pyproject["tool"]["uv"]["package"] is False
    lock = tomllib.loads((env.project / "uv.lock").read_text())
    files = [f for p in lock["package"] if p["source"].get("registry")
             for f in p.get("wheels", []) + ([p["sdist"]] if "sdist" in p else [])]
    assert files and all(f["hash"].startswith("sha256:") for f in files)
    # Every direct pin is exact, and the lock holds that version.
    pins = dict(dep.split("==") for dep in pyproject["project"]["dependencies"]
                + pyproject.get("dependency-groups", {}).get("dev", []))
    locked = {canonical(name): v for name, v in locked_versions(env.project / "uv.lock").items()}
    assert {canonical(name): locked.get(canonical(name)) for name in pins} == \
           {canonical(name): v for name, v in pins.items()}


def test_the_program_and_the_pack_lock_the_same_versions_of_what_they_share():
    program, pack = (locked_versions(env.project / "uv.lock") for env in ENVIRONMENTS)
    shared = set(program) & set(pack)
    assert {"pulumi", "grpcio", "protobuf"} <= shared
    assert {n: (program[n], pack[n]) for n in shared if program[n] != pack[n]} == {}


def test_the_installed_environments_are_the_locked_ones():
    """What this test session runs on is what uv.lock says (the stamp holds the lock's hash)."""
    from importlib.metadata import version

    assert version("pulumi-aws") == locked_versions(ROOT / "uv.lock")["pulumi-aws"]
    assert [env.name for env in ENVIRONMENTS if not install.is_current(env)] == []


# ---------------------------------------------------------------------------- the installer itself


FAKE_UV = textwrap.dedent("""\
    #!/bin/sh
    # Stands in for uv: `venv DIR` makes DIR, `sync` writes a marker after a pause or fails on request,
    # and every call is logged with its start and end time.
    start=$(date +%s.%N)
    case "$1" in
      --version) echo "uv $FAKE_UV_VERSION"; exit 0 ;;
      venv) for last; do :; done; mkdir "$last" ;;
      sync) sleep "${FAKE_UV_SLEEP:-0}"
            if [ -n "$FAKE_UV_FAIL" ]; then echo "resolution failed" >&2; exit 1; fi
            printf %s "${FAKE_UV_MARK:-new}" > "$UV_PROJECT_ENVIRONMENT/marker" ;;
    esac
    echo "$1 $start $(date +%s.%N)" >> "$FAKE_UV_LOG"
""")


@pytest.fixture
def fake_checkout(tmp_path, monkeypatch):
    """A checkout with one environment, installed by scripts/install.py with a fake uv on PATH."""
    project = tmp_path / "project"
    project.mkdir()
    # The pack's small project (a few packages): uv checks it the way it checks the program's, faster.
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / "policies" / name, project / name)
    scripts = project / "scripts"
    scripts.mkdir()
    shutil.copy(ROOT / "scripts" / "install.py", scripts / "install.py")
    shutil.copy(ROOT / "scripts" / "uv-requirements.txt", scripts / "uv-requirements.txt")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text(FAKE_UV)
    (bin_dir / "uv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_UV_LOG", str(tmp_path / "uv.log"))
    monkeypatch.setenv("FAKE_UV_VERSION", install.uv_version())
    return project


def run_install(project: Path, **env: str) -> subprocess.Popen:
    code = ("import sys; sys.path.insert(0, 'scripts'); import install; "
            "install.ENVIRONMENTS = (install.Environment(install.ROOT, install.ROOT / 'venv'),); install.OPTIONAL = {}; "
            "sys.exit(install.main([]))")
    return subprocess.Popen([sys.executable, "-c", code], cwd=project, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_install_builds_aside_and_a_failed_build_leaves_the_old_environment(fake_checkout, monkeypatch):
    venv = fake_checkout / "venv"
    monkeypatch.setattr(install, "ROOT", fake_checkout)
    monkeypatch.setattr(install, "TOOLS", fake_checkout / ".tools")
    monkeypatch.setattr(install, "ENVIRONMENTS", (install.Environment(fake_checkout, venv),))
    assert install.main([]) == 0
    assert (venv / "marker").read_text() == "new" and (venv / ".installed").exists()
    # Current: the second run does nothing.
    log = Path(os.environ["FAKE_UV_LOG"])
    calls = len(log.read_text().splitlines())
    assert install.main([]) == 0 and len(log.read_text().splitlines()) == calls
    # The lock changes and the new build fails: the environment in place is the old one, whole.
    stamp = (venv / ".installed").read_text()
    with open(fake_checkout / "uv.lock", "a") as f:
        f.write("\n")
    monkeypatch.setenv("FAKE_UV_FAIL", "1")
    with pytest.raises(subprocess.CalledProcessError):
        install.main([])
    assert (venv / "marker").read_text() == "new" and (venv / ".installed").read_text() == stamp
    # The next good run replaces it, leaving nothing aside.
    monkeypatch.delenv("FAKE_UV_FAIL")
    monkeypatch.setenv("FAKE_UV_MARK", "newer")
    assert install.main([]) == 0
    assert (venv / "marker").read_text() == "newer"
    assert sorted(p.name for p in fake_checkout.iterdir() if p.name.startswith("venv")) == ["venv"]


def test_two_installs_at_once_run_one_after_the_other(fake_checkout):
    first = run_install(fake_checkout, FAKE_UV_SLEEP="0.3")
    time.sleep(0.05)
    second = run_install(fake_checkout, FAKE_UV_SLEEP="0.3")
    assert first.wait() == 0 and second.wait() == 0
    syncs = [line.split() for line in Path(os.environ["FAKE_UV_LOG"]).read_text().splitlines()
             if line.startswith("sync")]
    # The second waited for the lock, then found the environment current: one build, not two at once.
    assert len(syncs) == 1


def test_a_stale_lock_fails_the_check_with_the_command_that_fixes_it(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "scripts", project / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    # The pack's small project (a few packages): uv checks it the way it checks the program's, faster.
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / "policies" / name, project / name)
    code = ("import sys; sys.path.insert(0, 'scripts'); import install; "
            "install.ENVIRONMENTS = (install.Environment(install.ROOT, install.ROOT / 'venv'),); install.OPTIONAL = {}; "
            "sys.exit(install.main(['--check']))")
    # The real uv, this checkout's pinned one.
    env = {**os.environ, "PATH": f"{Path(install.find_uv()).parent}{os.pathsep}{os.environ['PATH']}"}
    ok = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    pyproject = project / "pyproject.toml"
    assert '"pulumi-policy==1.21.0"' in pyproject.read_text()
    pyproject.write_text(pyproject.read_text().replace('"pulumi-policy==1.21.0"', '"pulumi-policy==1.20.0"'))
    stale = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, env=env)
    assert stale.returncode == 1
    assert "error: uv.lock does not match pyproject.toml: run `make lock` and commit uv.lock" in stale.stderr
