"""The IDE bootstrap, run: dev's rendered user data executed by bash under a scratch root, with stub
commands (curl, dnf, runuser, aws, git, systemctl, nginx, install, chown, jq) that record every call.
The workshop's scripts are stand-ins written here that record who ran them, where and with what
environment; the order, the users and the environment are the workshop IDE template's
(workshop/workshop_labs.json)."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from workshop import labs

PASSWORD = "stub-password-never-logged"
IDE_ADDRESS = "203.0.113.10"
RAW = "https://raw.githubusercontent.com/aws-samples/eks-workshop-v2/stable"
# What each stand-in records: the variables the workshop's scripts read (the table's list), and one the
# environment script's stand-in exports.
RECORDED = (*labs.ide_environment(), "FROM_COMMON_ENV")
EXPECTED = {"EKS_CLUSTER_NAME": "eks-workshop", "EKS_CLUSTER_AUTO_NAME": "eks-workshop-auto",
            "REPOSITORY_OWNER": "aws-samples", "REPOSITORY_NAME": "eks-workshop-v2", "REPOSITORY_REF": "stable",
            "AWS_REGION": "ap-northeast-2", "ENV": "", "RESOURCES_PRECREATED": "false",
            "BASE_INBOUND_CIDRS": f"0.0.0.0/0,{IDE_ADDRESS}/32", "ANALYTICS_ENDPOINT": "", "WS": "", "BUILD": ""}

STUBS = {
    # Records its arguments; answers instance metadata, the health check, and the workshop's script URLs.
    "curl": r'''
        echo "curl $*" >> "$STUB_LOG"
        out=""; url=""
        while [ $# -gt 0 ]; do
          case "$1" in
            -o|-*o) out="$2"; shift 2 ;;
            -H|-X) shift 2 ;;
            -*) shift ;;
            *) url="$1"; shift ;;
          esac
        done
        case "$url" in
          */latest/api/token) echo imds-token ;;
          */meta-data/public-ipv4) echo "$STUB_IDE_ADDRESS" ;;
          http://127.0.0.1/healthz) ;;
          https://raw.githubusercontent.com/*)
            name="${url##*/}"
            if [ -n "${STUB_FAIL_FETCH:-}" ] && [ "$name" = "$STUB_FAIL_FETCH" ]; then exit 22; fi
            cp "$STUB_SCRIPTS/$name" "$out" ;;
          *) [ -z "$out" ] || : > "$out" ;;
        esac
    ''',
    "runuser": r'''
        echo "runuser $*" >> "$STUB_LOG"
        [ "$1" = "-u" ] && [ "$3" = "--" ] || { echo "runuser stub: unexpected $*" >&2; exit 2; }
        user="$2"; shift 3
        STUB_RUNAS="$user" exec "$@"
    ''',
    "aws": r'''
        echo "aws $*" >> "$STUB_LOG"
        case "$*" in
          *get-secret-value*ide-password*) echo "{\"password\": \"$STUB_PASSWORD\"}" ;;
          *get-secret-value*) echo '{"value": "origin-token"}' ;;
        esac
    ''',
    # `jq -r .<key>` of the one-line objects the aws stub prints.
    "jq": r'''
        key="${2#.}"
        [[ "$(cat)" =~ \"$key\":\ *\"([^\"]*)\" ]] && echo "${BASH_REMATCH[1]}"
    ''',
    "git": r'''
        echo "git $* as=${STUB_RUNAS:-root}" >> "$STUB_LOG"
        dest="${!#}"
        mkdir -p "$dest/.git" "$dest/manifests/modules"
    ''',
    "install": r'''
        echo "install $*" >> "$STUB_LOG"
        dirs=()
        while [ $# -gt 0 ]; do
          case "$1" in
            -m|-o|-g) shift 2 ;;
            -d) shift ;;
            *) dirs+=("$1"); shift ;;
          esac
        done
        mkdir -p "${dirs[@]}"
    ''',
    "dnf": 'echo "dnf $*" >> "$STUB_LOG"',
    "systemctl": 'echo "systemctl $*" >> "$STUB_LOG"',
    "nginx": 'echo "nginx $*" >> "$STUB_LOG"',
    "chown": 'echo "chown $*" >> "$STUB_LOG"',
}


def stand_in(path: str, exit_code: int = 0) -> str:
    """A workshop script's stand-in: records who ran it, from where, with which environment."""
    fields = " ".join(f"{v}=${{{v}-unset}}" for v in RECORDED)
    line = f'echo "ran {path} as=${{STUB_RUNAS:-root}} home=$HOME pwd=$PWD {fields}" >> "$STUB_LOG"'
    if path.endswith("common-env.sh"):
        # Like the real one: names the cluster after `environment`, and exports what later scripts use.
        return f'{line}\nexport EKS_CLUSTER_NAME="eks-workshop-${{environment:-}}x"\nexport FROM_COMMON_ENV=yes\n'
    return f"#!/bin/bash\n{line}\nexit {exit_code}\n"


def run_bootstrap(bootstrap: str, tmp: Path, failing: str = "", fail_fetch: str = "") -> tuple[subprocess.CompletedProcess, Path]:
    root, stubs, scripts, log = tmp / "root", tmp / "stubs", tmp / "scripts", tmp / "calls.log"
    for d in (root, stubs, scripts):
        d.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/bash\n" + textwrap.dedent(body))
        (stubs / name).chmod(0o755)
    for step in labs.ide_scripts():
        (scripts / Path(step.path).name).write_text(stand_in(step.path, 3 if step.path == failing else 0))
    script = tmp / "bootstrap.sh"
    script.write_text(bootstrap)
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", "HOME": "/root", "EKS_WORKSHOP_IDE_TEST_ROOT": str(root),
           "EKS_WORKSHOP_IDE_TEST_RETRY_SECONDS": "0", "STUB_LOG": str(log), "STUB_SCRIPTS": str(scripts),
           "STUB_PASSWORD": PASSWORD, "STUB_IDE_ADDRESS": IDE_ADDRESS, "STUB_FAIL_FETCH": fail_fetch}
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, cwd=tmp)
    return result, root


def calls(tmp: Path) -> list[str]:
    return (tmp / "calls.log").read_text().splitlines()


def ran(tmp: Path) -> dict[str, dict[str, str]]:
    """Each workshop script that ran: its recorded fields, in the order they ran."""
    out = {}
    for line in calls(tmp):
        if line.startswith("ran "):
            path, *fields = line[4:].split(" ")
            out[path] = dict(f.split("=", 1) for f in fields)
    return out


@pytest.fixture
def bootstrap(dev) -> str:
    return dev.one("aws:ec2/instance:Instance").plain_inputs["userData"]


@pytest.fixture(scope="module")
def succeeded(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """One successful run, read by the tests of what it did (the run, the scratch root, the scratch dir)."""
    from offline.runner import run_stack

    tmp = tmp_path_factory.mktemp("bootstrap")
    result, root = run_bootstrap(run_stack("dev").one("aws:ec2/instance:Instance").plain_inputs["userData"], tmp)
    return result, root, tmp


pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_the_workshop_scripts_run_in_order_as_their_users_with_their_environment(succeeded):
    result, root, tmp_path = succeeded
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EKS-WORKSHOP-IDE-READY" in result.stdout
    assert (root / "var/lib/eks-workshop-ide/ready").exists()
    assert not (root / "var/lib/eks-workshop-ide/failed").exists()

    steps = labs.ide_scripts()
    runs = ran(tmp_path)
    assert list(runs) == [s.path for s in steps]  # all of them, in the template's order
    home = str(root / "home" / "ec2-user")
    for step in steps:
        fields = runs[step.path]
        assert fields["as"] == ("ec2-user" if step.user == "ide" else "root"), step
        if step.user == "ide":
            assert (fields["home"], fields["pwd"]) == (home, home), step
    # Every script after the environment script sees what it exported (it is sourced, not run), and this
    # stack's cluster names, not the ones it derives from `environment`.
    for step in steps[1:]:
        fields = runs[step.path]
        assert fields["FROM_COMMON_ENV"] == "yes", step
        # Every variable the table lists is set (the analytics ones empty, as in a self-paced workshop).
        assert {k: fields[k] for k in RECORDED[:-1]} == EXPECTED, step
    # Each fetched from the workshop repository at the stack's ref, before it ran.
    fetched = [c for c in calls(tmp_path) if c.startswith("curl") and RAW in c]
    assert [c.rsplit(f"{RAW}/", 1)[1] for c in fetched] == [s.path for s in steps]
    # The user scripts run through runuser as the IDE user.
    assert sum(c.startswith("runuser -u ec2-user -- env -C") for c in calls(tmp_path)) == \
        sum(s.user == "ide" for s in steps)


def test_the_content_lands_where_the_labs_expect_it(succeeded):
    result, root, tmp_path = succeeded
    assert result.returncode == 0, result.stderr
    clone = next(c for c in calls(tmp_path) if c.startswith("git clone"))
    assert "--branch stable https://github.com/aws-samples/eks-workshop-v2.git" in clone
    assert clone.endswith(f"{root}/eks-workshop/repository as=ec2-user")
    link = root / "home/ec2-user/environment/eks-workshop"
    assert link.is_symlink() and Path(os.readlink(link)) == root / "eks-workshop/manifests"
    assert (root / "eks-workshop/manifests/modules").is_dir()
    # code-server restarted after setup-ide.sh wrote its settings; kubeconfig for the cluster as the IDE user.
    log = calls(tmp_path)
    assert log.index("systemctl restart code-server@ec2-user") > max(i for i, c in enumerate(log) if c.startswith("ran "))
    assert "runuser -u ec2-user -- aws eks update-kubeconfig --region ap-northeast-2 --name eks-workshop" in log


def test_the_password_reaches_only_code_servers_config(succeeded):
    result, root, tmp_path = succeeded
    assert result.returncode == 0, result.stderr
    config = (root / "home/ec2-user/.config/code-server/config.yaml").read_text()
    assert f'password: "{PASSWORD}"' in config and "bind-addr: 127.0.0.1:8889" in config
    assert PASSWORD not in result.stdout + result.stderr + (tmp_path / "calls.log").read_text()
    assert "origin-token" in (root / "etc/nginx/nginx.conf").read_text()


def test_a_failing_workshop_script_leaves_the_failed_marker_with_its_line(bootstrap, tmp_path):
    failing = next(s for s in labs.ide_scripts() if s.user == "ide")
    result, root = run_bootstrap(bootstrap, tmp_path, failing=failing.path)
    assert result.returncode != 0
    marker = (root / "var/lib/eks-workshop-ide/failed").read_text()
    assert marker.startswith("line ") and f"(workshop step: ide run {failing.path})" in marker
    assert f"EKS-WORKSHOP-IDE-FAILED: {marker.strip()}" in result.stdout
    assert not (root / "var/lib/eks-workshop-ide/ready").exists()
    # Nothing after it ran.
    after = [s.path for s in labs.ide_scripts()][[s.path for s in labs.ide_scripts()].index(failing.path) + 1:]
    assert after and not set(after) & set(ran(tmp_path))


def test_a_script_that_cannot_be_fetched_is_retried_then_fails_naming_it(bootstrap, tmp_path):
    result, root = run_bootstrap(bootstrap, tmp_path, fail_fetch="installer.sh")
    assert result.returncode != 0
    fetches = [c for c in calls(tmp_path) if c.startswith("curl") and c.endswith("/lab/scripts/installer.sh")]
    assert len(fetches) == 5  # retry's attempts
    marker = (root / "var/lib/eks-workshop-ide/failed").read_text()
    assert "(workshop step: root run lab/scripts/installer.sh)" in marker
    assert "lab/scripts/installer.sh" not in ran(tmp_path)
