"""Policies over the stack as a whole."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from .common import stack_policy

# The audit data (log groups) with the rest: the pack keeps its own list; a test holds it equal to
# offline/resource_types.py.
STATEFUL = ("aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup")


def _protected(args, report):
    for r in args.resources:
        if r.resource_type in STATEFUL and not r.opts.protect:
            report(f"{r.resource_type.rsplit(':', 1)[1]} {r.name} is not protected; a destroy or replace "
                   "would delete it", r.urn)


POLICIES = [
    stack_policy(
        "stateful-resources-protected",
        "The cluster, the VPC, the KMS keys and the log groups (audit data) are protected where the stack "
        "asks for protection.",
        _protected, severity=Severity.HIGH, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:protect true for this stack. Stacks that don't ask for protection "
                    "(dev, staging) disable this policy in their policy config."),
]
