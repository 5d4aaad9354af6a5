"""What no single stack file shows: two stacks that would create the same EKS cluster.

A cluster is named by `eks-workshop:cluster.name` within an account and region. Two stack files with the
same name and region collide when they deploy to the same account: the second `up` fails on
ResourceInUseException, or worse, a second stack takes over resources named after the first. The account
is known only where a stack pins it (`aws:allowedAccountIds`, which the provider enforces): a shared
pinned account is an error, an unknown one a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from workshop.project import PROJECT, StackFileError, load_stack_config, stacks


@dataclass(frozen=True)
class ClusterIdentity:
    stack: str
    name: str
    region: str
    accounts: frozenset[str] | None  # aws:allowedAccountIds; None where the stack doesn't pin its account


def identities(root: Path) -> list[ClusterIdentity]:
    from workshop.config import ClusterConfig

    default_name = ClusterConfig.model_fields["name"].default
    found = []
    for stack in stacks(root):
        try:
            config = load_stack_config(stack, root)
        except StackFileError:
            continue  # that stack's own plan reports it
        cluster = config.get(f"{PROJECT}:cluster")
        name = cluster.get("name", default_name) if isinstance(cluster, dict) else default_name
        accounts = config.get("aws:allowedAccountIds")
        found.append(ClusterIdentity(stack, str(name), str(config.get("aws:region", "")),
                                     frozenset(map(str, accounts)) if isinstance(accounts, list) else None))
    return found


def clashes(root: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per stack: the errors (a pinned account shared) and warnings (an account not pinned) of clusters
    another stack file would create with the same name in the same region."""
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for a, b in combinations(identities(root), 2):
        if (a.name, a.region) != (b.name, b.region) or not a.region:
            continue
        what = f"Pulumi.{a.stack}.yaml and Pulumi.{b.stack}.yaml would both create EKS cluster {a.name!r} in {a.region}"
        fix = f"give one its own {PROJECT}:cluster.name"
        if a.accounts is not None and b.accounts is not None:
            shared = sorted(a.accounts & b.accounts)
            if shared:
                for s in (a.stack, b.stack):
                    errors.setdefault(s, []).append(f"{what} in account {', '.join(shared)}: {fix}")
        else:
            for s in (a.stack, b.stack):
                warnings.setdefault(s, []).append(
                    f"{what}: they clash if they deploy to one account; pin each stack's account with "
                    f"aws:allowedAccountIds to know, or {fix}")
    return errors, warnings
