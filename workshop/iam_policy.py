"""IAM's limits on a customer managed policy, and packing statements into as few such policies as fit.

IAM quotas (IAM user guide, "IAM and AWS STS quotas", read 2026-12-06): a customer managed policy holds at
most 6,144 characters, white space not counted; a role has at most 10 managed policies attached by
default (raisable to 20 through Service Quotas, L-0DA4ABF3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MANAGED_POLICY_CHARACTERS = 6144
MANAGED_POLICIES_PER_ROLE = 10


class StatementTooLarge(ValueError):
    """One statement alone is over a managed policy's size."""


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against the managed-policy limit: the JSON without white space outside strings
    (white space inside strings counted, to err on the safe side)."""
    return len(json.dumps(document, separators=(",", ":")))


def document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def first_fit(statements: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The statements in their order, each into the first policy it still fits in (a new one if none)."""
    policies: list[list[dict[str, Any]]] = []
    for statement in statements:
        alone = policy_size(document([statement]))
        if alone > MANAGED_POLICY_CHARACTERS:
            raise StatementTooLarge(f"statement {statement.get('Sid', '?')} alone is {alone} characters, over IAM's "
                                    f"{MANAGED_POLICY_CHARACTERS} per managed policy")
        home = next((p for p in policies if policy_size(document([*p, statement])) <= MANAGED_POLICY_CHARACTERS), None)
        if home is None:
            policies.append([statement])
        else:
            home.append(statement)
    return policies
