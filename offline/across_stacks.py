"""What no single stack file shows: stacks that share an estate and collide in it.

- Quotas: what the stacks of one account and region create together, against the account's quotas
  (offline/quotas.py).
- Two stacks that would create the same EKS cluster. A cluster is named by `eks-workshop:cluster.name`
  within an account and region. Two stack files with the same name and region collide when they deploy to
  the same account: the second `up` fails on ResourceInUseException, or worse, a second stack takes over
  resources named after the first.
- Networks that overlap where they meet: stacks that share an account and region, or
  that name the same transit or virtual private gateway, must not overlap in VPC CIDR; a stack's remote
  node networks must not overlap another such stack's VPC; and remote pod networks routed through the same
  gateway (advertised on-premises) must not overlap each other. An attachment whose CIDR overlaps one
  already attached is not propagated, and on-premises routes one CIDR to one place.

The account is known only where a stack pins it (`aws:allowedAccountIds`, which the provider enforces): a
shared pinned account is an error, an unknown one a warning. Stacks that name the same gateway meet there
whatever their accounts say.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from workshop.project import PROJECT, StackFileError, load_stack_file, stacks


@dataclass(frozen=True)
class ClusterIdentity:
    stack: str
    name: str
    region: str
    accounts: frozenset[str] | None  # aws:allowedAccountIds; None where the stack doesn't pin its account
    vpc_cidr: str = ""
    remote_nodes: tuple[str, ...] = ()
    remote_pods: tuple[str, ...] = ()
    gateway: str = ""  # cluster.remoteNetworks.vpcGatewayId
    where: tuple[tuple[str, str], ...] = ()  # key -> `Pulumi.<stack>.yaml:line:col` where it is written

    def at(self, key: str) -> str:
        """Where `key` is written in the stack file (or the file, where the default applies)."""
        return dict(self.where).get(key, f"Pulumi.{self.stack}.yaml")


def identities(root: Path) -> list[ClusterIdentity]:
    from workshop.config import ClusterConfig
    from workshop.config.model import NetworkConfig, RemoteNetworks

    default_name = ClusterConfig.model_fields["name"].default
    default_vpc = NetworkConfig.model_fields["vpc_cidr"].default
    default_nodes, default_pods = (RemoteNetworks.model_fields[k].default for k in ("nodes", "pods"))
    found = []
    for stack in stacks(root):
        try:
            stack_file = load_stack_file(stack, root)
        except StackFileError:
            continue  # that stack's own plan reports it
        config = stack_file.config
        cluster = _mapping(config.get(f"{PROJECT}:cluster"))
        remote = _mapping(cluster.get("remoteNetworks"))
        accounts = config.get("aws:allowedAccountIds")
        found.append(ClusterIdentity(
            stack, str(cluster.get("name", default_name)), str(config.get("aws:region", "")),
            frozenset(map(str, accounts)) if isinstance(accounts, list) else None,
            vpc_cidr=str(_mapping(config.get(f"{PROJECT}:network")).get("vpcCidr", default_vpc)),
            remote_nodes=_cidrs(remote.get("nodes", default_nodes)), remote_pods=_cidrs(remote.get("pods", default_pods)),
            gateway=str(remote.get("vpcGatewayId", "") or ""),
            where=tuple((key, stack_file.where(path)) for key, path in (
                (NETWORK, (f"{PROJECT}:network", "vpcCidr")),
                (NODES, (f"{PROJECT}:cluster", "remoteNetworks", "nodes")),
                (PODS, (f"{PROJECT}:cluster", "remoteNetworks", "pods"))))))
    return found


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _cidrs(value: object) -> tuple[str, ...]:
    return tuple(map(str, value)) if isinstance(value, (list, tuple)) else ()


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network, or None for a value the stack's own plan refuses."""
    try:
        return ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        return None


def _overlaps(a: str, b: str) -> bool:
    na, nb = _net(a), _net(b)
    return na is not None and nb is not None and na.version == nb.version and na.overlaps(nb)


NETWORK = f"{PROJECT}:network.vpcCidr"
NODES = f"{PROJECT}:cluster.remoteNetworks.nodes"
PODS = f"{PROJECT}:cluster.remoteNetworks.pods"


def network_overlaps(found: list[ClusterIdentity]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per stack: the errors and warnings of networks that overlap another stack's where they meet."""
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for a, b in combinations(found, 2):
        same_gateway = bool(a.gateway) and a.gateway == b.gateway
        shared = sorted(a.accounts & b.accounts) if a.accounts is not None and b.accounts is not None else None
        same_region = bool(a.region) and a.region == b.region
        if same_gateway:
            where, certain = f"both route through {a.gateway}", True
        elif same_region and shared:
            where, certain = f"both in account {', '.join(shared)}, {a.region}", True
        elif same_region and shared is None:
            where, certain = f"both in {a.region}, and they share an account unless each pins its own", False
        else:
            continue
        found_here = []
        if _overlaps(a.vpc_cidr, b.vpc_cidr):
            found_here.append(f"{a.at(NETWORK)}: {NETWORK} {a.vpc_cidr} overlaps {b.at(NETWORK)}: {NETWORK} "
                              f"{b.vpc_cidr}")
        for x, y in ((a, b), (b, a)):
            found_here += [f"{x.at(NODES)}: {NODES} {c} overlaps {y.at(NETWORK)}: {NETWORK} {y.vpc_cidr}: a remote "
                           "node network can't be another stack's VPC"
                           for c in x.remote_nodes if _overlaps(c, y.vpc_cidr)]
        if same_gateway:
            found_here += [f"{a.at(PODS)}: {PODS} {c} overlaps {b.at(PODS)}: {PODS} {d}: both are advertised "
                           "on-premises through the gateway, which routes one CIDR to one place"
                           for c in a.remote_pods for d in b.remote_pods if _overlaps(c, d)]
        target = errors if certain else warnings
        for problem in found_here:
            for s in (a.stack, b.stack):
                target.setdefault(s, []).append(f"{problem} ({where}): give each its own")
    return errors, warnings


def clashes(root: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per stack: the errors (a pinned account shared, a gateway shared) and warnings (an account not
    pinned) of networks that overlap where they meet and of clusters another stack file would create with
    the same name in the same region."""
    from offline.quotas import check, usages

    found = identities(root)
    errors, warnings = network_overlaps(found)
    quota_errors, quota_warnings = check(root, usages(root))
    for target, more in ((errors, quota_errors), (warnings, quota_warnings)):
        for stack, messages in more.items():
            target.setdefault(stack, []).extend(messages)
    for a, b in combinations(found, 2):
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
