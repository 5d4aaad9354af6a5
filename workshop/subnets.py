"""Subnet arithmetic: the layout carved from the VPC, and whether each private subnet holds its
zone's nodes at maxSize and their pods.

vpc-cni gives pods VPC addresses. With prefix delegation (the workshop's setting) each node takes
whole /28 prefixes, which must be free and aligned in its subnet; without it, each node's ENIs take
individual secondary addresses. Both come from the instance type's ENI and per-ENI address limits,
read from the EKS AMI's own table (workshop/instance_network_limits.json, with its source), and the
max-pods rule the EKS AMI and EKS's max-pods calculator apply.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LIMITS_FILE = Path(__file__).resolve().parent / "instance_network_limits.json"
PREFIX_ADDRESSES = 16  # a /28 prefix
# vpc-cni's WARM_PREFIX_TARGET default: one spare prefix attached to every node.
WARM_PREFIXES = 1
# EKS puts its control-plane ENIs in the cluster's subnets and needs at least six free addresses there.
CLUSTER_ADDRESSES = 6
# AWS reserves the first four and the last address of a subnet: the first and last /28 can't be prefixes.
RESERVED_BLOCKS = 2
RESERVED_BLOCK_FREE_ADDRESSES = 16 - 4 + 16 - 1


@cache
def _limits() -> dict[str, list[int]]:
    return json.loads(LIMITS_FILE.read_text())["instanceTypes"]


def _vcpus(instance_type: str) -> int:
    """vCPUs from the size name (large 2, xlarge 4, Nxlarge 4N); metal counts as large enough for 250."""
    size = instance_type.split(".", 1)[1]
    if size in ("nano", "micro", "small", "medium", "large"):
        return 2
    if size == "xlarge":
        return 4
    m = re.fullmatch(r"(\d+)xlarge", size)
    return 4 * int(m.group(1)) if m else 128


@dataclass(frozen=True)
class NodeCapacity:
    instance_type: str
    pods: int  # max pods per node
    prefixes: int  # /28 prefixes a node takes at max pods (prefix delegation), warm one included
    addresses: int  # individual addresses a node takes (ENI primaries, or every secondary without prefixes)


def known_instance_types() -> frozenset[str]:
    """Every instance type the EKS AMI's table knows: the ones a managed node group can boot."""
    return frozenset(_limits())


# AWS's naming convention: a `g` after the generation marks an AWS Graviton (arm64) family (m6g, c7gn,
# t4g, x2gd, im4gn, is4gen); a1 is the first Graviton. Every other family here is x86_64.
_GRAVITON = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")


def architecture(instance_type: str) -> str:
    """`arm64` or `x86_64`, from the instance family's name."""
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def node_capacity(instance_type: str, prefix_delegation: bool) -> NodeCapacity | None:
    """What one node of this type takes from its subnet at max pods; None where the table lacks the type."""
    limits = _limits().get(instance_type)
    if limits is None:
        return None
    enis, per_eni = limits
    if not prefix_delegation:
        # EKS AMI: ENIs x (addresses per ENI - 1) + 2; vpc-cni fills every attached ENI's addresses.
        return NodeCapacity(instance_type, enis * (per_eni - 1) + 2, 0, enis * per_eni)
    # EKS max-pods calculator with prefix delegation: 110 below 30 vCPUs, 250 above.
    pods = min(enis * (per_eni - 1) * PREFIX_ADDRESSES + 2, 110 if _vcpus(instance_type) < 30 else 250)
    prefixes = math.ceil(pods / PREFIX_ADDRESSES) + WARM_PREFIXES
    return NodeCapacity(instance_type, pods, prefixes, math.ceil(prefixes / (per_eni - 1)))


@dataclass(frozen=True)
class SubnetCapacity:
    prefix_length: int
    nodes: int  # nodes in the busiest zone at maxSize
    blocks_free: int  # /28 blocks a prefix can use
    blocks_needed: int
    addresses_free: int
    addresses_needed: int
    pods_per_node: dict[str, int]
    pods_at_max: int  # every node group at maxSize

    @property
    def fits(self) -> bool:
        return self.blocks_needed <= self.blocks_free and self.addresses_needed <= self.addresses_free


def subnet_capacity(subnet_prefix_length: int, az_count: int, groups: dict[str, tuple[str, ...]],
                    max_sizes: dict[str, int], prefix_delegation: bool) -> SubnetCapacity | None:
    """The busiest private subnet at every group's maxSize (groups spread evenly over the zones)."""
    size = 2 ** (32 - subnet_prefix_length)
    blocks, addresses, nodes, pods_at_max = 0, CLUSTER_ADDRESSES, 0, 0
    per_node: dict[str, int] = {}
    for name, types in groups.items():
        known = [c for c in (node_capacity(t, prefix_delegation) for t in types) if c is not None]
        if not known:
            return None
        worst = max(known, key=lambda c: (c.prefixes, c.addresses))
        in_zone = math.ceil(max_sizes[name] / az_count)
        nodes += in_zone
        blocks += in_zone * worst.prefixes
        addresses += in_zone * worst.addresses
        per_node[name] = min(c.pods for c in known)
        pods_at_max += max_sizes[name] * per_node[name]
    total_blocks = size // PREFIX_ADDRESSES
    if prefix_delegation:
        # Node and control-plane addresses fill the reserved blocks first, then take whole blocks.
        spill = max(0, addresses - (RESERVED_BLOCK_FREE_ADDRESSES if total_blocks >= 2 else 0))
        blocks_free = max(0, total_blocks - RESERVED_BLOCKS - math.ceil(spill / PREFIX_ADDRESSES))
        addresses_free = size - 5
    else:
        blocks_free, addresses_free = 0, size - 5
    return SubnetCapacity(subnet_prefix_length, nodes, blocks_free, blocks, addresses_free, addresses,
                          per_node, pods_at_max)


def subnet_prefix(vpc: ipaddress.IPv4Network, az_count: int) -> int:
    """Prefix length of the equal subnets that fit one public and one private subnet per AZ."""
    return vpc.prefixlen + max(1, math.ceil(math.log2(2 * az_count)))


def subnet_layout(vpc_cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Public subnets first, then private ones, in equal blocks carved in order from the VPC.

    For a /16 and three zones this is the eksctl layout: /19s, public .0/.32/.64, private .96/.128/.160.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(vpc.subnets(new_prefix=subnet_prefix(vpc, az_count)))
    return [str(b) for b in blocks[:az_count]], [str(b) for b in blocks[az_count:2 * az_count]]
