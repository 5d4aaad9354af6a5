"""Which availability zones a stack uses: the ones AWS offers this account in the region, in order,
with the workshop's `<region>a`, `b`, `c` first where the account has them (eksctl's choice).

Zone names are per account (AWS maps them to physical zones per account, and new accounts in some
regions lack some letters: ap-northeast-1b), so the program asks AWS at run time
(`aws.get_availability_zones`, state `available`) instead of assuming letters, and has AWS leave out
what a cluster can't use: opted-in zones (Local and Wavelength Zones) and the zone IDs the EKS
networking requirements exclude. Under the offline mock engine the answer comes from a recorded table
(offline/availability_zones.json), filtered as AWS filters it.
"""

from __future__ import annotations

import pulumi_aws as aws

from workshop.config import ConfigError, ResolvedStackConfig
from workshop.project import PROJECT

PREFERRED = "abc"  # the seed's zones, first where they exist

# Zone IDs in which EKS creates no cluster (its subnets may not be there), per region: EKS user guide, "View
# Amazon EKS networking requirements for VPC and subnets" (read 2026-12-06). Zone IDs, not names: names map
# to physical zones per account.
EKS_EXCLUDED_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az3",),
    "us-west-1": ("usw1-az2",),
    "ca-central-1": ("cac1-az3",),
}
# Regular zones only: Local Zones and Wavelength Zones are opted into, and sort among the regular ones by name.
REGULAR_ZONES = ("opt-in-status", ["opt-in-not-required"])


def choose(region: str, offered: list[str], count: int) -> list[str]:
    """`count` zones of `offered` (AWS's order): the preferred letters first, then the rest."""
    preferred = [z for z in (f"{region}{letter}" for letter in PREFERRED) if z in offered]
    return (preferred + [z for z in offered if z not in preferred])[:count]


def resolve(cfg: ResolvedStackConfig) -> ResolvedStackConfig:
    """The config with network.availabilityZones set to the zones the stack will use. Raises
    ConfigError (nothing registered) for more zones than the region offers, or a named zone it lacks."""
    # Filtered by AWS, not afterwards: only regular zones, and none EKS refuses.
    offered = list(aws.get_availability_zones(
        state="available", filters=[aws.GetAvailabilityZonesFilterArgs(name=REGULAR_ZONES[0], values=REGULAR_ZONES[1])],
        exclude_zone_ids=list(EKS_EXCLUDED_ZONE_IDS.get(cfg.region, ()))).names or [])
    n = cfg.network
    if n.availability_zones:
        missing = [z for z in n.availability_zones if z not in offered]
        if missing:
            raise ConfigError([f"{PROJECT}:network.availabilityZones: {missing} not offered to this account in "
                               f"{cfg.region} (it has {offered})"])
        return cfg
    if n.az_count > len(offered):
        raise ConfigError([f"{PROJECT}:network.azCount: {n.az_count} but {cfg.region} offers this account "
                           f"{len(offered)} zones ({', '.join(offered)})"])
    zones = tuple(choose(cfg.region, offered, n.az_count))
    return cfg.model_copy(update={"network": n.model_copy(update={"availability_zones": zones})})
