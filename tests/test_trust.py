"""Every trust policy the program writes guards against the confused deputy where the service supports it,
or the service has a written reason in the pack's UNSCOPED_SERVICES: one decision per principal. (The
hybrid nodes' IAM Roles Anywhere trust, which no committed stack has, is held to its anchor in
tests/test_program.py.)"""

from __future__ import annotations

import json

from guardrails.iam_data import SCOPED_SERVICES, UNSCOPED_SERVICES
from offline.runner import ProgramRun


def trust_statements(run: ProgramRun):
    for role in run.of_type("aws:iam/role:Role"):
        for statement in json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]:
            yield role.name, statement


def condition_keys(statement: dict) -> set[str]:
    return {k for block in statement.get("Condition", {}).values() for k in block}


def judge(statements) -> list[str]:
    """Problems of (role name, trust statement) pairs."""
    problems = []
    for role, s in statements:
        principal = s["Principal"]
        services = principal.get("Service", [])
        for service in [services] if isinstance(services, str) else services:
            if service in SCOPED_SERVICES:
                missing = set(SCOPED_SERVICES[service]) - condition_keys(s)
                if missing:
                    problems.append(f"{role}: {service} without {sorted(missing)}")
            elif service not in UNSCOPED_SERVICES:
                problems.append(f"{role}: {service} is in neither SCOPED_SERVICES nor UNSCOPED_SERVICES")
        if "Federated" in principal:  # IRSA: the token's audience and subject name who may assume it
            keys = condition_keys(s)
            if not (any(k.endswith(":sub") for k in keys) and any(k.endswith(":aud") for k in keys)):
                problems.append(f"{role}: federated trust without :sub and :aud conditions")
    return problems


def test_every_trust_the_program_writes_is_scoped_or_has_its_reason(any_stack):
    assert list(trust_statements(any_stack))
    assert judge(trust_statements(any_stack)) == []


def test_the_judge_fails_an_unscoped_cluster_role_and_an_undecided_service(dev):
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name == "cluster-role")
    statement = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"][0]
    assert condition_keys(statement) == {"aws:SourceAccount", "aws:SourceArn"}
    bare = {k: v for k, v in statement.items() if k != "Condition"}
    other = {**statement, "Principal": {"Service": "lambda.amazonaws.com"}}
    assert judge([("cluster-role", statement)]) == []
    assert judge([("cluster-role", bare)]) == [
        "cluster-role: eks.amazonaws.com without ['aws:SourceAccount', 'aws:SourceArn']"]
    assert judge([("r", other)]) == ["r: lambda.amazonaws.com is in neither SCOPED_SERVICES nor UNSCOPED_SERVICES"]
    irsa = {"Principal": {"Federated": "arn"}, "Condition": {"StringEquals": {"x:aud": "sts.amazonaws.com"}}}
    assert judge([("r", irsa)]) == ["r: federated trust without :sub and :aud conditions"]
    assert UNSCOPED_SERVICES["ec2.amazonaws.com"]  # the reason is written, not empty
