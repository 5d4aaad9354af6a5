"""Price rules: what one planned resource costs a month, from the region's list prices.

Each rule is a function the resource-type table (offline/resource_types.py) names in its `price`
column; the estimator (offline/estimate.py) calls it for every resource of that type. A rule returns
charges (an item with its monthly cost at the node groups' desired size and, where it differs, at
their maximum) and, where it can't price something, the reason: a resource is never counted as free
because a price is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from offline.plan_model import PlannedResource
from workshop.versions import catalogue


@dataclass(frozen=True)
class Charge:
    item: str
    desired: float  # USD a month at the node groups' desired size
    maximum: float | None = None  # at their maximum; None: the same


@dataclass(frozen=True)
class Unpriced:
    why: str


@dataclass(frozen=True)
class PriceBook:
    """What a rule reads: the region's unit prices, the usage assumptions, the plan date and the plan."""

    prices: Mapping[str, Any]  # estimates/prices-<region>.json "prices"
    hours: float  # hours a month
    usage: Mapping[str, Any]  # estimates/assumptions.json "usage", values only
    as_of: dt.date
    by_urn: Mapping[str, PlannedResource]

    def unit(self, key: str) -> float:
        """The unit price of `key`; a table without it is a KeyError naming the key."""
        entry = self.prices.get(key)
        if entry is None:
            raise KeyError(f"the price table has no {key!r}")
        return float(entry["usd"])

    def has(self, key: str) -> bool:
        return key in self.prices


PriceRule = Callable[[PlannedResource, PriceBook], list[Charge | Unpriced]]


def support_status(version: str, as_of: dt.date) -> str:
    """unreleased | standard | extended | ended | unknown: EKS's support for a version on a date, by the
    version catalogue (workshop/kubernetes_versions.json)."""
    entry = catalogue().get(version)
    return "unknown" if entry is None else entry.support(as_of)


def eks_control_plane(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    version = r.inputs.get("version")
    status = support_status(str(version), book.as_of)
    # Past extended support EKS upgrades the cluster to the oldest extended version: still extended.
    tier = "extended" if status in ("extended", "ended") else "standard"
    out: list[Charge | Unpriced] = [Charge(f"control plane, Kubernetes {version} ({status} support on {book.as_of})",
                                           book.unit(f"eks.controlPlane.{tier}") * book.hours)]
    by_type = book.usage["controlPlaneLogGbPerMonthByType"]
    gb = sum(by_type.get(k, 0) for k in r.inputs.get("enabledClusterLogTypes") or [])
    if gb:
        out.append(Charge(f"control-plane logs, {gb} GB/month ingested (assumed)", gb * book.unit("cloudwatch.logs.ingest")))
    if (r.inputs.get("computeConfig") or {}).get("enabled"):
        out += auto_mode_nodes(book)
    return out


def auto_mode_nodes(book: PriceBook) -> list[Charge | Unpriced]:
    """The nodes EKS Auto Mode launches, as estimates/assumptions.json assumes them: EC2, Auto Mode's management
    fee per instance-hour on top, and their root volumes."""
    nodes = book.usage["autoModeNodes"]
    instance, desired, maximum = nodes["instanceType"], int(nodes["desired"]), int(nodes["max"])
    if not (book.has(f"ec2.{instance}") and book.has(f"eks.autoMode.{instance}")):
        return [Unpriced(f"no EC2 or Auto Mode price for {instance}")]
    ec2, fee = book.unit(f"ec2.{instance}") * book.hours, book.unit(f"eks.autoMode.{instance}") * book.hours
    volume = int(nodes["rootVolumeGiB"]) * book.unit("ebs.gp3")
    return [Charge(f"Auto Mode nodes: {instance} x {desired} (max {maximum}), assumed", ec2 * desired, ec2 * maximum),
            Charge(f"Auto Mode management fee: {instance} x {desired} (max {maximum})", fee * desired, fee * maximum),
            Charge(f"Auto Mode gp3 root volumes {nodes['rootVolumeGiB']} GiB x {desired} (max {maximum})",
                   volume * desired, volume * maximum)]


def node_group(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    inputs = r.inputs
    scaling = inputs.get("scalingConfig") or {}
    desired, maximum = int(scaling.get("desiredSize", 0)), int(scaling.get("maxSize", 0))
    instance = (inputs.get("instanceTypes") or ["?"])[0]
    out: list[Charge | Unpriced] = []
    capacity = str(inputs.get("capacityType") or "ON_DEMAND")
    if capacity != "ON_DEMAND":  # the tables hold on-demand prices only
        out.append(Unpriced(f"{capacity.lower()} prices vary"))
    elif not book.has(f"ec2.{instance}"):
        out.append(Unpriced(f"no price for {instance}"))
    else:
        hourly = book.unit(f"ec2.{instance}") * book.hours
        out.append(Charge(f"{instance} x {desired} (max {maximum})", hourly * desired, hourly * maximum))
    size, gp3 = _node_volume_size(r, book.by_urn), book.unit("ebs.gp3")
    out.append(Charge(f"gp3 root volumes {size} GiB x {desired} (max {maximum})", size * gp3 * desired,
                      size * gp3 * maximum))
    return out


def _node_volume_size(node_group: PlannedResource, by_urn: Mapping[str, PlannedResource]) -> int:
    """The root volume size the node group's launch template gives, found by the dependency of its
    `launchTemplate` input (the template's ID is unknown in a preview; the dependency is not)."""
    templates = [by_urn[u] for u in node_group.property_dependencies.get("launchTemplate", [])
                 if u in by_urn and by_urn[u].type == "aws:ec2/launchTemplate:LaunchTemplate"]
    for template in templates:
        for mapping in template.inputs.get("blockDeviceMappings") or []:
            size = (mapping.get("ebs") or {}).get("volumeSize")
            if size:
                return int(size)
    return int(node_group.inputs.get("diskSize") or 20)  # EKS's default for node groups without a template


def nat_gateway(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    gb = book.usage["natGatewayDataGbPerMonth"]
    return [Charge("NAT gateway", book.unit("vpc.natGateway.hour") * book.hours),
            Charge(f"NAT data processing, {gb} GB/month (assumed)", gb * book.unit("vpc.natGateway.data"))]


def transit_gateway_attachment(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    gb = book.usage["transitGatewayDataGbPerMonth"]
    return [Charge("transit gateway VPC attachment", book.unit("vpc.transitGateway.attachment") * book.hours),
            Charge(f"transit gateway data processing, {gb} GB/month (assumed)",
                   gb * book.unit("vpc.transitGateway.data"))]


def public_ipv4(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    return [Charge("public IPv4 address", book.unit("vpc.publicIpv4") * book.hours)]


def ec2_instance(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    instance = r.inputs.get("instanceType", "?")
    out: list[Charge | Unpriced] = []
    if not book.has(f"ec2.{instance}"):
        out.append(Unpriced(f"no price for {instance}"))
    else:
        out.append(Charge(f"{instance} instance", book.unit(f"ec2.{instance}") * book.hours))
    size = int((r.inputs.get("rootBlockDevice") or {}).get("volumeSize", 8))
    out.append(Charge(f"gp3 root volume {size} GiB", size * book.unit("ebs.gp3")))
    if r.inputs.get("associatePublicIpAddress"):
        out += public_ipv4(r, book)
    return out


def kms_key(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    return [Charge("KMS key", book.unit("kms.key"))]


def secret(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    return [Charge("secret", book.unit("secretsmanager.secret"))]


def cloudfront(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    return [Charge("CloudFront within the always-free tier (workshop traffic)", book.unit("cloudfront.freeTier"))]


def log_group(r: PlannedResource, book: PriceBook) -> list[Charge | Unpriced]:
    # Control-plane log volume is priced on the cluster, from its enabled log types.
    if "/aws/vpc/" not in str(r.inputs.get("name", "")):
        return []
    gb = book.usage["flowLogGbPerMonth"]
    return [Charge(f"flow logs, {gb} GB/month ingested (assumed)", gb * book.unit("cloudwatch.logs.ingest"))]
