"""Policies over the stack as a whole."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from .common import stack_policy

STATEFUL = ("aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:kms/key:Key")


def _protected(args, report):
    for r in args.resources:
        if r.resource_type in STATEFUL and not r.opts.protect:
            report(f"{r.resource_type.rsplit(':', 1)[1]} {r.name} is not protected; a destroy or replace "
                   "would delete it", r.urn)


POLICIES = [
    stack_policy(
        "stateful-resources-protected",
        "The cluster, the VPC and the KMS key are protected where the stack asks for protection.",
        _protected, severity=Severity.HIGH, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:protect true for this stack. Stacks that don't ask for protection "
                    "(dev, staging) disable this policy in their policy config."),
]
