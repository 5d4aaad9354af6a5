"""Whether the workshop's labs can run: the plan's `labs:` verdict (offline/labs_check.py) on the real
program's plans, each need broken once, through the stack config where a stack can break it and in the
plan itself where only the program could."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from plan_support import edit_stack, plan_cli, program_copy  # noqa: F401 - fixtures

from offline import labs_check
from offline.plan_model import Plan
from offline.runner import load_stack_config, run_stack
from workshop import labs
from workshop.project import ROOT

DEV = load_stack_config("dev")


def missing(overrides: dict | None = None) -> list[str]:
    run = run_stack("dev", overrides=overrides or {})
    return labs_check.verdict(Plan.of_run(run), "eks-workshop").missing


def dev_with(key: str, change) -> dict:
    value = json.loads(json.dumps(DEV[key]))
    change(value)
    return {key: value}


def test_dev_is_ready_against_the_recorded_workshop_commit(dev):
    verdict = labs_check.verdict(Plan.of_run(dev), "eks-workshop")
    assert verdict.missing == [] and verdict.ready
    assert (verdict.repository, verdict.ref, verdict.commit) == (
        "aws-samples/eks-workshop-v2", "stable", "d8f1b254ac7f5cdef2ee7186475ffb9167c3ade2")


def test_the_recorded_lookups_are_the_labs_31(dev):
    # 31 data-source lookups find the cluster's network in the labs' Terraform at the recorded commit.
    assert sum(len(lookup.files) for lookup in labs.lookups()) == 31
    assert "each of the 31 lookups the labs' Terraform makes" in (ROOT / "docs" / "ide.md").read_text()
    assert {lookup.expects for lookup in labs.lookups()} == {
        "vpc", "private-subnets", "public-subnets", "first-private-subnet", "cluster-subnets", "route-tables",
        "nat-gateways"}


def merged(*overrides: dict) -> dict:
    """Several needs broken in one stack file: the verdict names each (one program run for them all)."""
    out: dict = {}
    for o in overrides:
        for key, value in o.items():
            out[key] = {**out[key], **value} if isinstance(value, dict) and key in out else value
    return out


# What the labs install themselves, the hop limit and the default node group's shape, broken at once.
WHAT_DEV_MUST_NOT_OWN = merged(
    dev_with("eks-workshop:addons", lambda a: a.update({"eks-pod-identity-agent": "catalogue"})),
    dev_with("eks-workshop:nodeGroups", lambda g: g["default"].update(metadataHopLimit=1, maxSize=9)),
    dev_with("eks-workshop:cluster", lambda c: c.update(logTypes=["api"], manageLogTypes=True)),
    {"eks-workshop:nodeRoleNamePrefix": ""})


@pytest.mark.parametrize("overrides,expected", [
    (WHAT_DEV_MUST_NOT_OWN,
     ["the eks-pod-identity-agent add-on exists, but the labs create it themselves (addons)",
      "launch template nodes-default has IMDS hop limit 1: the labs' controllers read instance metadata from pods, "
      "which needs 2",
      "control-plane logging is on, but the labs switch it on themselves (cluster.logTypes)",
      "`up` would revert the labs' control-plane logging (cluster.manageLogTypes)",
      "node group default's role 'node-role-",
      "node group 'default' scales {'minSize': 3, 'desiredSize': 3, 'maxSize': 9}, but prepare-environment resets it "
      "to {'minSize': 3, 'desiredSize': 3, 'maxSize': 6}"]),
    (merged(dev_with("eks-workshop:cluster", lambda c: c.update(version="1.34")),
            dev_with("eks-workshop:nodeGroups", lambda g: g.update(workers={**g.pop("default"), "releaseVersion": "catalogue"}))),
     ["Kubernetes 1.34, but the labs are written for 1.33 (cluster.version)",
      "node group workers runs AMI release 1.34.", "no managed node group named 'default'",
      "the default group's instances are named nothing"]),
], ids=["what-dev-must-not-own-and-the-node-group", "version-and-node-group-name"])
def test_each_need_broken_in_the_stack_file_is_named(overrides, expected):
    found = missing(overrides)
    assert len(found) == len(expected), found
    for line in expected:
        assert any(f.startswith(line) for f in found), (line, found)


def plan_with(dev, change) -> Plan:
    data = Plan.of_run(dev).to_json()
    for r in data["resources"]:
        change(r)
    return Plan.from_json(data)


def test_a_second_vpc_with_the_workshop_tags_breaks_the_vpc_lookup(dev):
    def tag_ide_vpc(r):
        if r["name"] == "ide-vpc":
            r["inputs"]["tags"].update({"created-by": "eks-workshop-v2", "env": "eks-workshop"})

    found = labs_check.lookup_problems(plan_with(dev, tag_ide_vpc), "eks-workshop")
    assert len(found) == 1 and found[0].startswith(
        "aws_vpc with {'created-by': 'eks-workshop-v2', 'env': 'eks-workshop'} (12 lab files, e.g. exposing/ingress:main) "
        "finds ide-vpc, network-vpc; the labs expect vpc: network-vpc")


def test_subnet_names_are_matched_case_sensitively(dev):
    def lower_case(r):
        if r["type"] == "aws:ec2/subnet:Subnet" and "Name" in r["inputs"]["tags"]:
            r["inputs"]["tags"]["Name"] = r["inputs"]["tags"]["Name"].lower()

    found = labs_check.lookup_problems(plan_with(dev, lower_case), "eks-workshop")
    # *Private*, *Public* and *Private*A all find nothing: five recorded combinations.
    assert len(found) == 5 and all("finds nothing" in line for line in found)


def test_the_ide_role_must_hold_the_tables_statements(dev):
    def drop_a_statement(r):
        if r["type"] == "aws:iam/policy:Policy" and r["name"] == "ide-labs-2":
            document = json.loads(r["inputs"]["policy"])
            document["Statement"] = document["Statement"][1:]
            r["inputs"]["policy"] = json.dumps(document)

    found = labs_check.environment_problems(plan_with(dev, drop_a_statement), "eks-workshop")
    assert len(found) == 1 and "statements, not the" in found[0]


def test_the_ide_role_must_be_cluster_admin(dev):
    def another_policy(r):
        if r["type"] == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation" and r["name"] == "ide-access":
            r["inputs"]["policyArn"] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

    assert labs_check.environment_problems(plan_with(dev, another_policy), "eks-workshop") == [
        "the IDE role is not cluster-admin (an access entry with AmazonEKSClusterAdminPolicy)"]


def test_tag_filters_are_ec2_globs():
    assert labs_check.tags_match({"Name": "eksctl-x-cluster/SubnetPrivateAPNORTHEAST2A"}, {"Name": "*Private*A"})
    assert not labs_check.tags_match({"Name": "eksctl-x-cluster/SubnetPrivateAPNORTHEAST2B"}, {"Name": "*Private*A"})
    assert not labs_check.tags_match({"Name": "x-private-a"}, {"Name": "*Private*"})
    assert not labs_check.tags_match({}, {"env": "*"})


def test_a_stack_that_is_not_ready_says_what_is_missing():
    # The summary line and the list below the plan, as `make plan` prints them (offline/plan.py).
    from offline.estimate import estimate
    from offline.plan_render import render_labs, render_summary

    plan = Plan.of_run(run_stack("dev", overrides=WHAT_DEV_MUST_NOT_OWN))  # the run the test above made
    plan = plan.model_copy(update={"labs": labs_check.verdict(plan, "eks-workshop"),
                                   "estimate": estimate(plan, "ap-northeast-2", dt.date(2026, 11, 25))})
    assert plan.labs is not None and len(plan.labs.missing) == 6
    assert "  labs:        NOT READY against aws-samples/eks-workshop-v2@stable d8f1b254 (2026-07-30): 6 missing " \
           "(below)" in render_summary(plan, None)
    assert render_labs(plan.labs) == [
        "", "What the workshop's labs would miss (workshop/workshop_labs.json, docs/ide.md):",
        *(f"  - {line}" for line in plan.labs.missing)]
    assert "  - launch template nodes-default has IMDS hop limit 1: the labs' controllers read instance metadata from " \
           "pods, which needs 2 (nodeGroups.*.metadataHopLimit)" in render_labs(plan.labs)
    ready = labs_check.verdict(Plan.of_run(run_stack("dev")), "eks-workshop")
    assert render_labs(ready) == [] and render_labs(None) == []


def test_a_bad_repository_is_refused_before_anything_is_created(plan_cli, program_copy, tmp_path):
    edit_stack(program_copy, "dev", "eks-workshop:ide",
               lambda i: i.update(repositoryRef="main; reboot", repositoryOwner="-aws"))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: dev: invalid stack configuration:"
    assert any(line.startswith("  Pulumi.dev.yaml:") and "eks-workshop:ide.repositoryRef: 'main; reboot' is not a branch "
               "or tag name: contains ' ', ';'" in line for line in lines)
    assert any("eks-workshop:ide.repositoryOwner: '-aws' is not a GitHub user or organization name" in line
               for line in lines)
    assert not (tmp_path / "plan-dev.json").exists() and "Traceback" not in result.stderr
