"""make deploy-policy (offline/deploy_policy.py): the preview and deploy roles' policies, generated from each
stack's plan, well formed for an offline IAM linter, scoped, and covering what each resource type's
CloudFormation handlers need."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from offline import deploy_policy
from offline.deploy_policy import allows, generate, handlers, stack_policies
from offline.iam_lint import lint
from offline.iam_reference import canonical, resource_types
from offline.plan_model import Plan
from offline.resource_types import TYPES, ResourceType
from offline.runner import stack_account, stack_region
from workshop.config import parse
from workshop.iam_policy import MANAGED_POLICY_CHARACTERS, policy_size

_GENERATED: dict[int, tuple[Any, Any]] = {}


def generated(run):
    """Each stack's policies, generated once per run the tests share."""
    if id(run) not in _GENERATED:
        _GENERATED[id(run)] = (run, stack_policies(run))
    return _GENERATED[id(run)][1]


@pytest.fixture(params=["dev", "staging", "prod"])
def stack_run(request):
    from offline.runner import run_stack

    return run_stack(request.param)


def test_every_resource_type_maps_to_a_cloudformation_type_or_says_why():
    for token, row in TYPES.items():
        if row.cloudformation:
            assert handlers(row.cloudformation, "ap-northeast-2"), token
        else:
            assert row.no_cloudformation, f"{token}: neither a CloudFormation type nor a reason"


def test_a_new_resource_type_without_its_mapping_is_named(monkeypatch, prod):
    plan = Plan.of_run(prod)
    first = plan.resources[0].model_copy(update={"type": "aws:new/thing:Thing", "custom": True})
    plan = plan.model_copy(update={"resources": [first, *plan.resources[1:]]})
    monkeypatch.setitem(TYPES, "aws:new/thing:Thing", ResourceType())
    result = generate(plan, "ap-northeast-2", "444455556666", "eks-workshop-prod")
    assert result.unmapped == ["aws:new/thing:Thing"]


def test_the_policies_are_well_formed_scoped_and_fit(stack_run):
    result = generated(stack_run)
    for role, documents in (("preview", result.preview), ("deploy", result.deploy)):
        assert documents, role
        for document in documents:
            assert policy_size(document) <= MANAGED_POLICY_CHARACTERS
            assert lint(role, json.dumps(document)) == []  # parliament: actions, resources and keys agree
            for s in document["Statement"]:
                actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
                assert not any(a == "*" or a.endswith(":*") for a in actions), s  # no whole-service wildcard
                if s["Resource"] == "*":  # only for actions that take no resource
                    assert s["Sid"].endswith("NoResourceType") and all(resource_types(a) == () for a in actions), s
    deploy = [s for d in result.deploy for s in d["Statement"]]
    passing = next(s for s in deploy if s["Action"] == "iam:PassRole")
    assert "iam:PassedToService" in passing["Condition"]["StringEquals"]
    assert all(":role/" in r and not r.endswith(":role/*") for r in passing["Resource"])
    linked = next(s for s in deploy if s["Action"] == "iam:CreateServiceLinkedRole")
    assert "eks.amazonaws.com" in linked["Condition"]["StringEquals"]["iam:AWSServiceName"]
    tag = next(s for s in deploy if s["Sid"] == "TagOnCreate")
    assert "ec2:CreateVpc" in tag["Condition"]["StringEquals"]["ec2:CreateAction"]
    # the preview role reads, never writes
    preview_actions = {a for d in result.preview for s in d["Statement"]
                       for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not {a for a in preview_actions if re.match(r"\w+:(Create|Delete|Put|Update|Attach|Tag)", a)}


def _format_regex(arn_format: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\$\\\{[^}]+\\\}", ".+", re.escape(arn_format)) + "$")


def test_each_types_handler_permissions_are_allowed_on_its_planned_arns(stack_run):
    """For every planned resource with an ARN: each permission its CloudFormation handlers list is allowed on
    that ARN where IAM evaluates the action on a resource of its kind, and allowed at all otherwise."""
    result = generated(stack_run)
    region, account = stack_region(stack_run.config), stack_account(stack_run.config)
    scope = deploy_policy.scope_of(Plan.of_run(stack_run), region, account, parse(stack_run.config).cluster.name)
    checked = 0
    for r in stack_run.resources:
        row = TYPES.get(r.type)
        arn = r.outputs.get("arn") if isinstance(r.outputs.get("arn"), str) else None
        if not (row and row.cloudformation and arn):
            continue
        found = handlers(row.cloudformation, region)
        for action in sorted({canonical(a) for op in ("create", "read", "update", "delete") for a in found.get(op, ())}):
            if resource_types(action) is None or action in deploy_policy.UNUSED_FEATURES.get(row.cloudformation, {}):
                continue  # not an IAM action as written; a feature the program's resource doesn't use
            rows = resource_types(action) or ()
            on_this = [x for x in rows if _format_regex(x.arn.replace("${Partition}", "aws")).match(arn)]
            if on_this:
                assert allows(result.deploy, action, arn), f"{r.type} {r.name}: {action} on {arn}"
            elif action == "iam:CreateServiceLinkedRole":  # only for the services that need one
                service = deploy_policy.SERVICE_LINKED_ROLES[row.cloudformation][0]
                assert allows(result.deploy, action, f"arn:aws:iam::{account}:role/"
                                                     f"aws-service-role/{service}/AWSServiceRole"), r.type
            else:
                assert allows(result.deploy, action, "*") or any(
                    allows(result.deploy, action, a) for x in rows for a in deploy_policy.arns(x, scope)
                ), f"{r.type}: {action}"
            checked += 1
    assert checked > 100


def test_what_is_left_out_says_why(dev):
    """Not an IAM action as written (an S3 REST operation in the log group's schema), or a feature of the
    CloudFormation type the program's resources don't use (flow logs to S3)."""
    result = generated(dev)
    assert resource_types("s3:REST.PUT.OBJECT") is None and "s3:REST.PUT.OBJECT" in result.left_out
    assert result.left_out["s3:PutBucketPolicy (for AWS::EC2::FlowLog)"].startswith("flow logs to S3")
    deploy = {a for d in result.deploy for s in d["Statement"]
              for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not deploy & {"s3:PutBucketPolicy", "s3:GetBucketPolicy", "firehose:TagDeliveryStream", "s3:REST.PUT.OBJECT"}


def test_a_stack_that_pins_no_one_account_gets_any_account_in_its_arns(prod):
    from offline.runner import pinned_account

    assert pinned_account({"aws:allowedAccountIds": ["111122223333", "444455556666"]}) is None
    assert pinned_account(prod.config) == "444455556666"
    result = generate(Plan.of_run(prod), "ap-northeast-2", "*", "eks-workshop-prod")
    text = json.dumps(result.deploy)
    assert "444455556666" not in text and ":eks:ap-northeast-2:*:cluster/eks-workshop-prod" in text
    assert all(lint("deploy", json.dumps(d)) == [] for d in result.deploy)
