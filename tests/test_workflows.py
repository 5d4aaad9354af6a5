"""The GitHub workflows lint clean with actionlint (and shellcheck on their run: scripts)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from plan_support import COMMITTED_STACKS, program_copy  # noqa: F401 - fixtures

from scripts.install import locked_versions

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).with_name("actionlint"))
    assert Path(found).exists(), "actionlint missing: it comes with the dev group (pyproject.toml)"
    return found


def test_workflows_pass_actionlint():
    assert len(WORKFLOWS) == 3
    result = subprocess.run([actionlint(), *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    result = subprocess.run([actionlint(), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "nope" in result.stdout


def test_preview_runs_only_with_credentials_and_deploys_never_overlap():
    pr = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())
    assert pr["permissions"] == {"contents": "read"}
    assert "id-token" not in pr["jobs"]["offline"].get("permissions", {})
    preview = pr["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["permissions"]["id-token"] == "write"
    up = yaml.safe_load((ROOT / ".github/workflows/pulumi-up.yml").read_text())["jobs"]["up"]
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    assert up["environment"] == "${{ inputs.stack }}"
    text = "\n".join(p.read_text() for p in WORKFLOWS)
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text


# Majors that run on Node 24; the ones before them run on Node 20, which GitHub retires. setup-uv
# publishes no major tags from v8 on, only immutable full versions.
CURRENT_REFS = {"actions/checkout": "v7", "actions/setup-python": "v7", "actions/upload-artifact": "v7",
                "aws-actions/configure-aws-credentials": "v6", "pulumi/actions": "v7", "astral-sh/setup-uv": "v8.3.2"}


def _steps():
    for path in WORKFLOWS:
        for job in (yaml.safe_load(path.read_text())["jobs"] or {}).values():
            for step in job.get("steps", []):
                yield path.name, job, step


def test_actions_are_on_current_majors():
    used = {}
    for name, _, step in _steps():
        if "uses" in step:
            action, _, ref = step["uses"].partition("@")
            used[(name, action)] = ref
    assert used and {a for _, a in used} <= set(CURRENT_REFS), used
    assert [f"{n}: {a}@{r}" for (n, a), r in used.items() if r != CURRENT_REFS[a]] == []


def test_the_pulumi_cli_is_pinned_to_the_sdk():
    sdk = locked_versions(ROOT / "uv.lock")["pulumi"]
    pulumi_steps = [step for _, _, step in _steps() if step.get("uses", "").startswith("pulumi/actions@")]
    assert len(pulumi_steps) == 3
    assert all(str(step["with"]["pulumi-version"]) == sdk for step in pulumi_steps)


def test_every_job_that_installs_has_the_pinned_uv_first():
    """`make install` and the Pulumi CLI (toolchain: uv) both need uv: the same version everywhere."""
    from scripts.install import uv_version

    for path in WORKFLOWS:
        for job in (yaml.safe_load(path.read_text())["jobs"] or {}).values():
            steps = job.get("steps", [])
            runs = [i for i, s in enumerate(steps) if "make " in s.get("run", "") or "pulumi/actions" in s.get("uses", "")]
            uv = [i for i, s in enumerate(steps) if s.get("uses", "").startswith("astral-sh/setup-uv@")]
            if runs:
                assert len(uv) == 1 and uv[0] < runs[0], path.name
                assert steps[uv[0]]["with"]["version"] == uv_version()


def test_pull_requests_run_every_check_ci_runs():
    import re

    offline = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())["jobs"]["offline"]
    pr = {target for step in offline["steps"] for target in re.findall(r"\bmake ([a-z-]+)", step.get("run", ""))}
    ci = set(re.findall(r"^make ([a-z-]+)$", (ROOT / ".ci" / "run").read_text(), re.M))
    # make plan is the PR's own step there (python -m offline.plan with --against-ref).
    assert {"lock-check", "lint", "test"} <= ci and ci - {"plan"} <= pr


def test_credentialed_jobs_decrypt_with_the_states_secrets_provider():
    pr = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())
    up = yaml.safe_load((ROOT / ".github/workflows/pulumi-up.yml").read_text())
    for job in (pr["jobs"]["preview"], up["jobs"]["up"]):
        assert job["env"]["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true"
    # A stack file holds its secrets provider whole or not at all (`pulumi stack init` writes both).
    for stack in ("dev", "staging", "prod"):
        data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        assert ("secretsprovider" in data) == ("encryptedkey" in data), stack


def test_stacks_run_where_their_api_is_reachable():
    """Every stack file is previewed (the matrix comes from offline/ci_matrix.py, not a list), in its region,
    with its policy config, on the runners its API admits; every committed stack deploys, on the same runners,
    and so does any other stack given a deploy job."""
    from offline.ci_matrix import HOSTED, SELF_HOSTED, rows
    from offline.runner import load_stack_config
    from workshop.project import stacks

    workflow = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())["jobs"]
    preview = workflow["preview"]
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.offline.outputs.matrix) }}"
    assert workflow["offline"]["outputs"]["matrix"] == "${{ steps.stacks.outputs.matrix }}"
    assert any(s.get("id") == "stacks" and "offline.ci_matrix" in s["run"] for s in workflow["offline"]["steps"])
    credentials = next(s for s in preview["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert credentials["with"]["aws-region"] == "${{ matrix.region }}"
    assert _pulumi_steps(preview)[0]["with"]["policyPackConfigs"] == "${{ matrix.policyConfig }}"
    matrix = {row["stack"]: row for row in rows()}
    assert list(matrix) == stacks()
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"]
    assert not set(COMMITTED_STACKS) - set(deploy)
    for stack in stacks():
        config = load_stack_config(stack)
        cidrs = config["eks-workshop:cluster"].get("deployerCidrs", ["0.0.0.0/0"])
        expected = HOSTED if cidrs == ["0.0.0.0/0"] else SELF_HOSTED
        assert (matrix[stack]["runner"], matrix[stack]["region"]) == (expected, config["aws:region"]), stack
        # A stack of your own deploys from CI once it has its job (your-own-stack.md); until then it is previewed.
        if stack in deploy:
            assert deploy[stack]["with"].get("runner", HOSTED) == expected, stack


def test_a_stack_of_your_own_is_previewed_with_the_default_policy_config(program_copy):
    from offline.ci_matrix import rows

    text = (program_copy / "Pulumi.dev.yaml").read_text().replace("ap-northeast-2", "eu-west-2")
    (program_copy / "Pulumi.alice.yaml").write_text(text)
    alice = next(r for r in rows(program_copy) if r["stack"] == "alice")
    assert (alice["region"], alice["policyConfig"]) == ("eu-west-2", "policies/config/default.json")


def test_the_deploy_reads_the_stacks_region_and_policy_config(capsys):
    from offline.ci_matrix import main

    up = yaml.safe_load((ROOT / ".github/workflows/pulumi-up.yml").read_text())["jobs"]["up"]
    step = next(s for s in up["steps"] if s.get("id") == "stack")
    assert step["run"] == 'venv/bin/python -m offline.ci_matrix --stack "${{ inputs.stack }}" >> "$GITHUB_OUTPUT"'
    credentials = next(s for s in up["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert credentials["with"]["aws-region"] == "${{ steps.stack.outputs.region }}"
    assert {p["with"]["policyPackConfigs"] for p in _pulumi_steps(up)} == {"${{ steps.stack.outputs.policyConfig }}"}
    assert main(["--stack", "dev-auto"]) == 0
    assert capsys.readouterr().out == "region=ap-northeast-2\npolicyConfig=policies/config/default.json\n"
    assert main(["--stack", "nope"]) == 2


def _pulumi_steps(job: dict) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]


def test_a_new_stack_is_created_with_its_kms_secrets_provider():
    """A stack's first CI run creates it (upsert) with an explicit secrets provider: the fallback variable
    only helps a stack whose state records one."""
    pr = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())["jobs"]["preview"]
    up = yaml.safe_load((ROOT / ".github/workflows/pulumi-up.yml").read_text())["jobs"]["up"]
    for first in (_pulumi_steps(pr)[0], _pulumi_steps(up)[0]):
        assert first["with"]["upsert"] is True
        assert first["with"]["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"


def test_the_deploy_previews_with_the_pack_before_it_changes_anything():
    up = yaml.safe_load((ROOT / ".github/workflows/pulumi-up.yml").read_text())["jobs"]["up"]
    preview, apply = _pulumi_steps(up)
    assert (preview["with"]["command"], apply["with"]["command"]) == ("preview", "up")
    for key in ("stack-name", "policyPacks", "policyPackConfigs", "cloud-url"):
        assert preview["with"][key] == apply["with"][key], key


def test_pull_requests_plan_every_stack_file():
    offline = yaml.safe_load((ROOT / ".github/workflows/pull-request.yml").read_text())["jobs"]["offline"]
    plan = next(s["run"] for s in offline["steps"] if "offline.plan" in s.get("run", ""))
    # No --stack and no list of names: the tool plans every Pulumi.<stack>.yaml and exits with the worst code.
    assert "--stack" not in plan and "for stack in" not in plan and "PIPESTATUS[0]" in plan
