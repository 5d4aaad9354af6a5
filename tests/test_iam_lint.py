"""The program's own identity policies, in every stack, have no finding of an IAM linter with an offline
action database (parliament); the workshop's lab policies only the kinds upstream's scoping makes."""

from __future__ import annotations

import json

from offline.iam_lint import lint, lint_all


def test_the_programs_own_policies_have_no_finding(any_stack):
    own, _ = lint_all(any_stack.resources)
    assert own == []


def test_the_workshops_lab_policies_have_only_upstreams_scoping_findings(dev):
    """What the workshop wrote and the labs rely on: "*" where it chose it, and statements scoping an action
    to resources IAM doesn't evaluate it on (they grant nothing; the IDE role can do what the workshop's
    can). No unknown action, no malformed statement."""
    _, workshop = lint_all(dev.resources)
    assert workshop and {f.issue for f in workshop} <= {"RESOURCE_STAR", "RESOURCE_MISMATCH",
                                                        "UNKNOWN_CONDITION_FOR_ACTION"}


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ACCOUNT = "123456789012"


def test_the_linter_finds_what_it_should_and_drops_its_own_false_positive():
    ok = {"Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": f"arn:aws:eks:ap-northeast-2:{ACCOUNT}:cluster/c"}
    assert lint("p", document(ok)) == []
    bad: list[tuple[dict, str]] = [
        ({"Effect": "Allow", "Action": "ec2:NoSuchThing", "Resource": "*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "eks:DescribeNodegroup", "Resource": f"arn:aws:iam::{ACCOUNT}:role/r"},
         "RESOURCE_MISMATCH"),
        ({**ok, "Condition": {"StringEquals": {"eks:NoSuchKey": "x"}}}, "UNKNOWN_CONDITION_FOR_ACTION"),
        # the flow-log policy's old statement: it granted nothing
        ({"Effect": "Allow", "Action": "logs:DescribeLogGroups",
          "Resource": f"arn:aws:logs:ap-northeast-2:{ACCOUNT}:log-group:*"}, "RESOURCE_MISMATCH"),
    ]
    for statement, issue in bad:
        assert [f.issue for f in lint("p", document(statement))] == [issue], statement
    public = {"Effect": "Allow", "Action": "ssm:GetParameter",
              "Resource": "arn:aws:ssm:ap-northeast-2::parameter/aws/service/eks/optimized-ami/*"}
    assert lint("p", document(public)) == []
