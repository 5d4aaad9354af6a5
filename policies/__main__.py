"""The eks-workshop CrossGuard policy pack. Policies live in guardrails/, one module per area."""

from pulumi_policy import EnforcementLevel, PolicyPack

from guardrails import ALL_POLICIES

PolicyPack(
    name="eks-workshop-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=ALL_POLICIES,
)
