"""`make plan` as the PR gate: every stack and honest errors, stack files read as the CLI reads them,
signals, what spans stacks."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from plan_support import ROOT, Result, edit_stack, plan_cli, program_copy  # noqa: F401 - fixtures

from offline.plan_model import Plan, PlanFormatError
from offline.plan_render import render_summary

SLOW_GIT = """#!/bin/sh
# git, except that `worktree add` leaves the new worktree locked (as an interrupted add does) and then
# hangs, so that the test can signal the plan while it waits for git.
if [ "$1" = worktree ] && [ "$2" = add ]; then
  shift 2
  "$REAL_GIT" worktree add --lock "$@" && touch "$MARKER" && sleep 30
  exit
fi
exec "$REAL_GIT" "$@"
"""


def test_a_signal_during_against_ref_leaves_no_worktree_behind(tmp_path):
    """SIGTERM (a cancelled CI job) and SIGINT, each while `git worktree add` holds a locked, half-made
    worktree: both plans (run at once) exit 128+signal, one line, and leave no worktree or folder."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(SLOW_GIT)
    (bin_dir / "git").chmod(0o755)
    runs = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        temp, marker = tmp_path / f"tmp-{signum}", tmp_path / f"in-worktree-add-{signum}"
        temp.mkdir()
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "REAL_GIT": shutil.which("git") or "git",
               "MARKER": str(marker), "TMPDIR": str(temp)}
        runs[signum] = (temp, marker, subprocess.Popen(
            [sys.executable, "-m", "offline.plan", "--stack", "dev", "--against-ref", "HEAD", "--no-policy", "--quiet",
             "--out-dir", str(tmp_path / f"out-{signum}")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for signum, (_, marker, plan) in runs.items():
        deadline = time.monotonic() + 60
        while not marker.exists() and plan.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), plan.communicate()
        plan.send_signal(signum)
    for signum, (temp, _, plan) in runs.items():
        _, stderr = plan.communicate(timeout=60)
        assert plan.returncode == 128 + signum, stderr
        assert "Traceback" not in stderr and stderr.strip().endswith("nothing left behind")
        worktrees = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=ROOT, capture_output=True,
                                   text=True).stdout
        assert str(temp) not in worktrees and list(temp.iterdir()) == []


# ------------------------------------------------------------------ any stack, honest errors


def test_a_stack_file_that_is_not_there_is_named_with_the_ones_that_are(plan_cli, program_copy, tmp_path):
    # (A new stack file plans with policies/config/default.json: tests/test_docs.py plans your-own-stack.md's.)
    missing = plan_cli("--root", str(program_copy), "--stack", "bob", "--out-dir", str(tmp_path))
    assert missing.returncode == 2 and "no Pulumi.bob.yaml (stacks here: dev, staging, prod)" in missing.stderr


def test_every_stack_is_planned_and_the_worst_exit_code_wins(plan_cli, program_copy, tmp_path):
    (program_copy / "Pulumi.staging.yaml").write_text("config:\n  aws:region: [unclosed\n")
    edit_stack(program_copy, "prod", "eks-workshop:network", lambda n: n.update(flowLogs=False))
    result = plan_cli("--root", str(program_copy), "--out-dir", str(tmp_path), "--quiet")
    assert result.returncode == 2
    # staging's YAML error names file, line and column; dev and prod were still planned.
    assert "error: staging: Pulumi.staging.yaml:3:1:" in result.stderr
    assert (tmp_path / "plan-dev.json").exists() and (tmp_path / "plan-prod.json").exists()
    # --quiet still prints the mandatory violation that makes prod fail.
    assert "prod: mandatory vpc-flow-logs-enabled" in result.stderr


def test_against_refuses_another_stacks_plan(plan_cli, dev_plan, tmp_path):
    other = tmp_path / "prod.json"
    other.write_text(json.dumps({**dev_plan, "stack": "prod"}))
    result = plan_cli("--stack", "dev", "--no-policy", "--against", str(other), "--out-dir", str(tmp_path / "o"))
    assert result.returncode == 2 and f"--against {other}: a plan of eks-workshop/prod, not eks-workshop/dev" in result.stderr
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**dev_plan, "schemaVersion": 1}))
    result = plan_cli("--stack", "dev", "--no-policy", "--against", str(old), "--out-dir", str(tmp_path / "o"))
    assert result.returncode == 2 and "plan schemaVersion 1, this tool reads 2: plan it again with this version" in result.stderr


def test_the_summary_comes_first(dev_cli, dev_plan):
    head = dev_cli.stdout.splitlines()[:10]
    assert head[0] == "== eks-workshop/dev"
    custom = sum(r["custom"] for r in dev_plan["resources"])  # the same run's count (checked in the render test)
    assert head[1].startswith(f"  changes:     {custom} to create")
    assert head[2].startswith("  policy:      0 mandatory, 4 advisory")
    assert head[3].startswith("  cost:") and head[4].startswith("  create time:")
    # dev runs the workshop's minor in extended support, and says what its control plane costs there.
    assert head[5].startswith("  kubernetes:  1.33, in EKS extended support since 2026-07-29, ")
    assert head[5].endswith("the control plane costs 438.00 USD/month there")
    assert head[6].startswith("  guards:      protect off, EKS deletion protection off")
    assert head[7].startswith("  pods:")
    assert head[8] == "  labs:        ready, checked against aws-samples/eks-workshop-v2@stable d8f1b254 (2026-07-30)"
    assert head[9] == "  warnings:    4 (below)"


def test_the_plan_file_reads_back_into_the_typed_model_unchanged(dev_plan):
    # Every section, nested ones included, survives JSON -> model -> JSON: the model is the file's shape.
    plan = Plan.from_json(dev_plan)
    assert plan.to_json() == dev_plan
    assert plan.kubernetes is not None and plan.capacity is not None
    assert plan.kubernetes.node_groups["default"].ami_type == "AL2023_x86_64_STANDARD"
    assert plan.capacity.pods_per_node == {"default": 110}
    assert {v.enforcement for v in plan.violations} == {"advisory"}


def test_a_file_that_is_not_a_plan_of_this_version_is_a_clear_error(tmp_path):
    for name, text, message in (("old.json", '{"schemaVersion": 1, "resources": []}', "plan schemaVersion 1, this tool reads 2"),
                                ("none.json", '{"resources": []}', "plan schemaVersion None, this tool reads 2"),
                                ("list.json", "[]", "plan schemaVersion None"),
                                ("broken.json", "{", "not a plan (invalid JSON")):
        (tmp_path / name).write_text(text)
        with pytest.raises(PlanFormatError, match=re.escape(message)):
            Plan.load(tmp_path / name)
    with pytest.raises(PlanFormatError, match="no such plan file"):
        Plan.load(tmp_path / "missing.json")


@pytest.mark.parametrize("name, content, message", [
    ("latin1.json", b'{"schemaVersion": 2, "stack": "d\xe9v"}', "not a plan (not UTF-8 text: byte 32)"),
    ("null.json", None, "not a plan this tool wrote: Plan 'resources' is null"),
    ("no-urn.json", None, "not a plan this tool wrote: a PlannedResource without 'urn'"),
    ("estimate.json", None, "not a plan this tool wrote: "),
    ("folder", None, "a directory, not a plan file"),
])
def test_against_a_file_that_is_not_a_plan_is_one_line_exit_2(plan_cli, dev_plan, tmp_path, name, content, message):
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    else:
        broken = json.loads(json.dumps(dev_plan))
        if name == "null.json":
            broken["resources"] = None
        elif name == "no-urn.json":
            del broken["resources"][0]["urn"]
        else:
            broken["estimate"] = {"cost": 5, "time": []}
        path.write_text(json.dumps(broken))
    result = plan_cli("--stack", "dev", "--no-policy", "--against", str(path), "--out-dir", str(tmp_path / "o"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --against {path}: {message}"), result.stderr
    assert "Traceback" not in result.stderr


def test_an_output_folder_that_cant_be_written_fails_that_stack_only(plan_cli, tmp_path):
    blocked = tmp_path / "out"
    blocked.write_text("a file where the folder should be")
    result = plan_cli("--stack", "dev", "--stack", "staging", "--no-policy", "--quiet", "--out-dir", str(blocked))
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    # Both stacks were planned; each says it could not write its file, in one line, no traceback.
    assert [e.split(":", 2)[:2] for e in errors] == [["error", " dev"], ["error", " staging"]]
    assert all(f"can't write {blocked}/plan-" in e for e in errors) and "Traceback" not in result.stderr


def test_the_plan_file_is_replaced_whole(plan_cli, dev_cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan-dev.json").write_text("an older plan, longer than nothing " * 1000)
    assert plan_cli("--stack", "dev", "--quiet", "--no-policy", "--out-dir", str(out)).returncode == 0
    assert json.loads((out / "plan-dev.json").read_text()) == {**dev_cli.plan, "violations": []}
    assert sorted(p.name for p in out.iterdir()) == ["plan-dev.json"]  # no temporary file left


@pytest.mark.parametrize("text, message", [
    ("- config\n- dev\n", "Pulumi.dev.yaml: the file is a YAML list, not a mapping with a 'config' key"),
    ("config: [1, 2]\n", "Pulumi.dev.yaml: 'config' is a YAML list, not a mapping of keys to values"),
    ("config: just text\n", "Pulumi.dev.yaml: 'config' is a YAML string, not a mapping of keys to values"),
])
def test_a_stack_file_of_the_wrong_shape_is_one_line_naming_it(plan_cli, program_copy, tmp_path, text, message):
    (program_copy / "Pulumi.dev.yaml").write_text(text)
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: dev: {message}"


# ------------------------------------------------------------------ stack files as the CLI reads them: YAML 1.2


def test_a_duplicated_key_is_an_error_with_its_line(plan_cli, program_copy, tmp_path):
    path = program_copy / "Pulumi.dev.yaml"
    text = path.read_text()
    path.write_text(text.replace("  aws:region: ap-northeast-2\n", "  aws:region: ap-northeast-2\n  aws:region: us-west-2\n", 1))
    line = next(i for i, text_line in enumerate(path.read_text().splitlines(), 1) if text_line == "  aws:region: us-west-2")
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: dev: Pulumi.dev.yaml:{line}:3: found duplicate key \"aws:region\"")


def test_an_unquoted_yes_is_a_string_so_a_boolean_field_refuses_it(plan_cli, program_copy, tmp_path):
    path = program_copy / "Pulumi.dev.yaml"
    lines = path.read_text().splitlines()
    lines.append("  eks-workshop:logEncryption: yes")
    path.write_text("\n".join(lines) + "\n")
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    # YAML 1.1 (PyYAML) would read True and plan it; the CLI's YAML 1.2 hands the program the string "yes".
    assert f"  Pulumi.dev.yaml:{len(lines)}:3: eks-workshop:logEncryption: 'yes'" in result.stderr


def test_a_config_error_points_at_the_key_in_the_file(plan_cli, program_copy, tmp_path):
    edit_stack(program_copy, "dev", "eks-workshop:nodeGroups",
               lambda g: g["default"].update(minSize=4, desiredSize=3, maxSize=2))
    text = (program_copy / "Pulumi.dev.yaml").read_text().splitlines()
    line = next(i for i, text_line in enumerate(text, 1) if text_line.strip() == "default:")
    column = text[line - 1].index("default") + 1
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    # Every cross-field problem at once, each at the key it is about.
    assert f"  Pulumi.dev.yaml:{line}:{column}: eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in result.stderr
    assert f"  Pulumi.dev.yaml:{line}:{column}: eks-workshop:nodeGroups.default: desiredSize 3 > maxSize 2" in result.stderr


def test_dates_stay_strings_as_the_cli_reads_them(tmp_path):
    from workshop.project import load_stack_config

    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  eks-workshop:cluster:\n    rollback: 2026-11-25\n  a:b: on\n")
    assert load_stack_config("x", tmp_path) == {"eks-workshop:cluster": {"rollback": "2026-11-25"}, "a:b": "on"}


def test_a_partly_priced_estimate_says_partial_and_names_what_is_missing(dev_plan):
    data = json.loads(json.dumps(dev_plan))
    node_group = next(r for r in data["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup")
    data["estimate"]["cost"]["notPriced"] = [{"urn": node_group["urn"], "type": node_group["type"],
                                              "why": "no price for m7i.large"}]
    cost = next(line for line in render_summary(Plan.from_json(data), None) if line.startswith("  cost:"))
    assert cost.endswith("at max (partial: 1 not priced: nodes-default)")
    whole = next(line for line in render_summary(Plan.from_json(dev_plan), None) if line.startswith("  cost:"))
    assert "partial" not in whole


def test_with_against_the_changes_lead_and_the_tree_waits_for_a_flag(plan_cli, program_copy, dev_plan, tmp_path):
    (tmp_path / "base.json").write_text(json.dumps(dev_plan))
    edit_stack(program_copy, "dev", "eks-workshop:nodeGroups", lambda g: g["default"].update(metadataHopLimit=3))
    args = ("--root", str(program_copy), "--stack", "dev", "--no-policy", "--against", str(tmp_path / "base.json"),
            "--out-dir", str(tmp_path / "out"))
    short = plan_cli(*args).stdout.splitlines()
    summary_end = short.index("")
    assert short[summary_end + 1].startswith("Changes against ") and "1 to update" in short[summary_end + 1]
    assert not any(line.startswith("Plan for eks-workshop/dev") for line in short)
    assert "(the full resource tree: add --tree)" in short
    full = plan_cli(*args, "--tree").stdout
    assert "Plan for eks-workshop/dev" in full and "(the full resource tree" not in full


def test_two_stacks_creating_one_cluster_in_one_account_are_refused(plan_cli, program_copy, tmp_path):
    dev = (program_copy / "Pulumi.dev.yaml").read_text()
    (program_copy / "Pulumi.alice.yaml").write_text(dev)  # copied, cluster name not changed
    result = plan_cli("--root", str(program_copy), "--stack", "alice", "--no-policy", "--quiet", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    # Every problem across the two files at once: the overlapping VPCs and the shared cluster name.
    assert result.stderr.strip() == (
        "error: alice: Pulumi.dev.yaml:36:5: eks-workshop:network.vpcCidr 10.42.0.0/16 overlaps Pulumi.alice.yaml:36:5: "
        "eks-workshop:network.vpcCidr 10.42.0.0/16 (both in account 111122223333, ap-northeast-2): give each its own; "
        "Pulumi.dev.yaml and Pulumi.alice.yaml would both create EKS cluster 'eks-workshop' in "
        "ap-northeast-2 in account 111122223333: give one its own eks-workshop:cluster.name")
    # The clash doesn't hide the stack's own problems: both in one run.
    (program_copy / "Pulumi.alice.yaml").write_text(dev.replace("minSize: 3", "minSize: 4", 1))
    result = plan_cli("--root", str(program_copy), "--stack", "alice", "--no-policy", "--quiet", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert "alice: invalid stack configuration:" in result.stderr
    assert "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in result.stderr
    assert "would both create EKS cluster 'eks-workshop'" in result.stderr
    # Account not pinned: it may or may not clash, a warning in the plan.
    (program_copy / "Pulumi.alice.yaml").write_text(dev.replace('  aws:allowedAccountIds: ["111122223333"]', ""))
    assert plan_cli("--root", str(program_copy), "--stack", "alice", "--no-policy", "--quiet",
                    "--out-dir", str(tmp_path)).returncode == 0
    warnings = json.loads((tmp_path / "plan-alice.json").read_text())["warnings"]
    assert any(w.endswith("they clash if they deploy to one account; pin each stack's account with "
                          "aws:allowedAccountIds to know, or give one its own eks-workshop:cluster.name") for w in warnings)
    assert any(w.endswith("(both in ap-northeast-2, and they share an account unless each pins its own): give each its "
                          "own") and "eks-workshop:network.vpcCidr 10.42.0.0/16 overlaps" in w for w in warnings)
    # Another account: no clash at all.
    (program_copy / "Pulumi.alice.yaml").write_text(dev.replace('["111122223333"]', '["999988887777"]'))
    assert plan_cli("--root", str(program_copy), "--stack", "alice", "--no-policy", "--quiet",
                    "--out-dir", str(tmp_path)).returncode == 0
    assert not any("clash" in w or "overlaps" in w
                   for w in json.loads((tmp_path / "plan-alice.json").read_text())["warnings"])


def test_every_committed_stack_pins_its_account():
    from offline.across_stacks import identities

    committed = {i.stack: i for i in identities(ROOT) if i.stack in ("dev", "staging", "prod")}
    assert len(committed) == 3 and all(i.accounts for i in committed.values())


def test_many_stacks_are_planned_by_one_process_per_core_in_order():
    import argparse
    import os

    from offline.plan import PARALLEL_FROM, WORKER_ENV, plan_workers, share_argv, shares

    many = [f"class-{i:02d}" for i in range(1, 31)]
    args = argparse.Namespace(against=None, against_ref=None)
    assert plan_workers(many[:PARALLEL_FROM - 1], args) == 1  # a few stacks: this process
    assert plan_workers(many, args) == min(os.cpu_count() or 1, 30 // (PARALLEL_FROM // 2))
    assert plan_workers(many, argparse.Namespace(against=None, against_ref="main")) == 1  # diffs: one at a time
    parts = shares(many, 2)
    assert [s for part in parts for s in part] == many and len(parts) == 2  # contiguous: printouts keep order
    assert share_argv(["--quiet", "--stack", "a", "--stack=b", "--out-dir", "x"], ["c", "d"]) == [
        "--quiet", "--out-dir", "x", "--stack", "c", "--stack", "d"]
    os.environ[WORKER_ENV] = "1"
    try:
        assert plan_workers(many, args) == 1  # a worker never forks again
    finally:
        del os.environ[WORKER_ENV]


def test_each_warning_is_printed_once_with_the_stacks_name(dev_cli):
    """Once, on stdout, as `WARNING: <stack>: …`; the program's own log of it stays out of the output."""
    text = dev_cli.stdout + dev_cli.stderr
    assert text.count("is in EKS extended support (6x the control-plane price)") == 1
    line = next(x for x in dev_cli.stdout.splitlines() if "is in EKS extended support (6x" in x)
    assert line.startswith("WARNING: dev: eks-workshop:cluster.version: 1.33")


def test_the_summary_and_the_diff_count_changes_alike(plan_cli, dev_cli, tmp_path):
    """A new stack's `changes:` line and a diff against nothing say the same numbers, in the same words."""
    new = next(x for x in dev_cli.stdout.splitlines() if x.startswith("  changes:"))
    count = int(new.split()[1])
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({**dev_cli.plan, "resources": [], "outputs": {}, "violations": []}))
    diffed = plan_cli("--stack", "dev", "--no-policy", "--against", str(empty), "--out-dir", str(tmp_path / "b"))
    expected = f"{count} to create, 0 to update, 0 to replace, 0 to delete"
    assert f"  changes:     {expected}" in diffed.stdout
    assert f": {expected}" in next(x for x in diffed.stdout.splitlines() if x.startswith("Changes against "))
