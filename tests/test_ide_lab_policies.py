"""The IDE role's lab permissions: the workshop's lab IAM policies from the recorded table
(workshop/workshop_labs.json), rendered as our own managed policies within IAM's limits, and the
script that refreshes the table from a workshop checkout."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from offline.runner import load_stack_config
from workshop import labs
from workshop.config import ConfigError, parse
from workshop.project import ROOT


def rendered(run) -> list[dict]:
    return [json.loads(p.plain_inputs["policy"]) for p in sorted(run.of_type("aws:iam/policy:Policy"), key=lambda p: p.name)]


def test_the_rendered_policies_hold_exactly_the_tables_statements(dev):
    statements = [s for document in rendered(dev) for s in document["Statement"]]
    expected = []
    for name, document in labs.table()["iamPolicies"].items():
        for i, statement in enumerate(document["Statement"]):
            text = json.dumps(statement)
            for placeholder, value in (("${ClusterName}", "eks-workshop"), ("${Region}", "ap-northeast-2"),
                                       ("${AccountId}", "111122223333"), ("${Partition}", "aws")):
                text = text.replace(placeholder, value)
            expected.append({"Sid": f"{name.title()}Stmt{i}", **json.loads(text)})
    # First fit packs a later, smaller statement into an earlier policy: the same statements, each once.
    assert len(statements) == len(expected) and {s["Sid"]: s for s in statements} == {e["Sid"]: e for e in expected}
    assert "${" not in json.dumps(statements).replace("${var.eks_cluster_id}", "")  # every placeholder filled
    # Scoped as the workshop scopes it: IAM roles and policies under the cluster's name.
    iam = next(s for s in statements if "iam:CreateRole" in s["Action"])
    assert "arn:aws:iam::111122223333:role/eks-workshop*" in iam["Resource"]  # dev's pinned account


def test_they_fit_iams_limits_and_are_no_administrator(dev):
    documents = rendered(dev)
    assert 0 < len(documents) <= labs.MANAGED_POLICIES_PER_ROLE - len(labs.IDE_AWS_MANAGED_POLICIES)
    assert all(len(json.dumps(d, separators=(",", ":"))) <= labs.MANAGED_POLICY_CHARACTERS for d in documents)
    for d in documents:
        for s in d["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert "*" not in actions and "AdministratorAccess" not in json.dumps(s)
    names = sorted(p.plain_inputs["name"] for p in dev.of_type("aws:iam/policy:Policy"))
    assert names == [f"eks-workshop-ide-labs-{i}" for i in range(1, len(documents) + 1)]


def test_a_table_that_outgrows_the_role_is_refused_before_anything_is_created(monkeypatch):
    big = {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(40)], "Resource": ["*"]}
    table = {**labs.table(), "iamPolicies": {"huge": {"Version": "2012-10-17", "Statement": [big] * 120}}}
    monkeypatch.setattr(labs, "table", lambda: table)
    monkeypatch.setattr("workshop.config.load._PARSED", {})  # parse keeps results for data that doesn't change
    with pytest.raises(ConfigError) as err:
        parse(load_stack_config("dev"))
    (problem,) = err.value.problems
    assert problem.startswith("eks-workshop:ide.enabled: true, but the workshop's lab permissions (120 statements) "
                              "need ") and "room for 9 (10 per role, IAM's default quota" in problem
    assert problem.endswith("the permissions come from workshop/workshop_labs.json (docs/ide.md)")
    # Without the IDE there is nothing to attach them to.
    values = {**load_stack_config("dev"), "eks-workshop:ide": {"enabled": False}}
    assert parse(values).ide.enabled is False


def test_one_statement_over_the_size_limit_is_named(monkeypatch):
    huge = {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(600)], "Resource": ["*"]}
    table = {**labs.table(), "iamPolicies": {"one": {"Statement": [huge]}}}
    monkeypatch.setattr(labs, "table", lambda: table)
    with pytest.raises(labs.LabPoliciesTooLarge, match="statement OneStmt0 alone is .* over IAM's 6144"):
        labs.lab_policy_documents("eks-workshop", "ap-northeast-2")


# ------------------------------------------------------------------ the refresh script


def workshop_checkout(path: Path, version: str = "1.33") -> Path:
    """A small git repository shaped as the workshop's, written here."""
    files = {
        "cluster/eksctl/cluster.yaml": f"""\
            metadata:
              name: ${{EKS_CLUSTER_NAME}}
              version: "{version}"
            managedNodeGroups:
              - name: default
                desiredCapacity: 3
                minSize: 3
                maxSize: 6
                releaseVersion: "{version}.0-20250704"
            """,
        "lab/iam/policies/alpha.yaml": """\
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [iam:GetRole]
                Resource:
                  - !Sub arn:aws:iam::${AWS::AccountId}:role/${Env}*
                  - !Sub arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/eks/${Env}*
                Condition:
                  StringLike:
                    aws:ResourceTag/env: ["${Env}*"]
            """,
    }
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(textwrap.dedent(text))
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "stable", str(path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    return path


def refresh(capsys, *args: str) -> subprocess.CompletedProcess:
    """scripts/refresh_workshop_labs.py's main, in-process: its exit code and what it printed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("refresh_workshop_labs", ROOT / "scripts" / "refresh_workshop_labs.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    capsys.readouterr()
    code = script.main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_the_refresh_script_shows_the_difference_then_writes_the_table(tmp_path, capsys):
    checkout = workshop_checkout(tmp_path / "workshop")
    table = tmp_path / "table.json"
    table.write_text(labs.TABLE_FILE.read_text())
    shown = refresh(capsys, "--checkout", str(checkout), "--table", str(table))
    assert shown.returncode == 1 and shown.stdout.startswith("--- table.json\n+++ table.json at stable\n")
    assert '+        "alpha": {' in shown.stdout or '+    "alpha": {' in shown.stdout
    assert table.read_text() == labs.TABLE_FILE.read_text()  # only shown
    assert refresh(capsys, "--checkout", str(checkout), "--table", str(table), "--write").returncode == 0
    written = json.loads(table.read_text())
    assert list(written["iamPolicies"]) == ["alpha"]
    (statement,) = written["iamPolicies"]["alpha"]["Statement"]
    assert statement["Resource"] == ["arn:${Partition}:iam::${AccountId}:role/${ClusterName}*",
                                     "arn:${Partition}:logs:${Region}:${AccountId}:log-group:/aws/eks/${ClusterName}*"]
    assert statement["Condition"] == {"StringLike": {"aws:ResourceTag/env": ["${ClusterName}*"]}}
    head = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert written["source"]["commit"] == head and written["cluster"]["version"] == "1.33"
    # What the script doesn't read is kept as it was; run again, nothing to show.
    assert written["lookups"] == labs.table()["lookups"] and written["ide"] == labs.table()["ide"]
    again = refresh(capsys, "--checkout", str(checkout), "--table", str(table))
    assert again.returncode == 0 and again.stdout == ""


def test_the_committed_table_is_the_scripts_own_output():
    # The table on disk is what the script writes (its rendering), so a refresh diff shows real changes only.
    text = labs.TABLE_FILE.read_text()
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
