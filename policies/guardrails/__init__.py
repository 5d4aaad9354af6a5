"""The guardrails, by area. ALL_POLICIES is what the pack enforces."""

from . import compute, eks, iam_data, network, stack

ALL_POLICIES = [*eks.POLICIES, *compute.POLICIES, *network.POLICIES, *iam_data.POLICIES, *stack.POLICIES]
