"""What plans but deserves a WARNING: support windows closing, unconfirmed pins, deliberate deviations."""

from __future__ import annotations

import datetime as dt
import ipaddress

from workshop import labs, versions
from workshop.config.model import StackConfig
from workshop.config.rules import RFC1918
from workshop.project import PROJECT


def config_warnings(cfg: StackConfig, as_of: dt.date) -> list[str]:
    """Everything that plans but deserves a WARNING: the version's, and deliberate deviations."""
    warnings = version_warnings(cfg, as_of)
    c = cfg.cluster
    vpcs = [("network.vpcCidr", cfg.network.vpc_cidr), *([("ide.vpcCidr", cfg.ide.vpc_cidr)] if cfg.ide.enabled else [])]
    for key, cidr in vpcs:
        if not any(ipaddress.IPv4Network(cidr).subnet_of(r) for r in RFC1918):
            warnings.append(f"{PROJECT}:{key}: {cidr} is not RFC 1918 private space: AWS accepts it, but those "
                            "addresses belong to someone on the internet, and inside the VPC they are local, so "
                            "nothing in it can reach the real hosts there; on-premises networks and peers may "
                            "route them elsewhere. Use 10/8, 172.16/12 or 192.168/16")
    if c.remote_networks.nodes and not c.remote_networks.vpc_gateway_id:
        warnings.append(f"{PROJECT}:cluster.remoteNetworks.vpcGatewayId: not set, so nothing routes from the VPC to "
                        f"the remote networks {[*c.remote_networks.nodes, *c.remote_networks.pods]} (as eksctl warns): "
                        "the control plane can't reach hybrid nodes' kubelets and webhooks until routes exist")
    if c.remote_networks.nodes and c.endpoint_public_access and c.endpoint_private_access:
        warnings.append(f"{PROJECT}:cluster.endpointPublicAccess: true with endpointPrivateAccess and "
                        "remoteNetworks: EKS documents that a hybrid-nodes cluster cannot use 'Public and "
                        "Private' endpoint connectivity; choose one (docs/hybrid-nodes.md)")
    return warnings


def version_warnings(cfg: StackConfig, as_of: dt.date) -> list[str]:
    """What plans but deserves attention: a support window closing within the warning period, and
    catalogue pins in use that no public source confirmed (never a default version's)."""
    cat = versions.catalogue()
    control_plane = cat.get(cfg.cluster.version)
    if control_plane is None:
        return []
    warnings = []
    standard_left, extended_left = control_plane.days_left(as_of)
    key = f"{PROJECT}:cluster.version"
    if 0 <= standard_left <= versions.STANDARD_SUPPORT_WARNING_DAYS:
        then = ("EKS upgrades it then (upgradeSupportType STANDARD)" if cfg.cluster.upgrade_support_type == "STANDARD"
                else "extended support then costs 6x the control-plane price")
        warnings.append(f"{key}: {cfg.cluster.version} leaves EKS standard support in {standard_left} days "
                        f"({control_plane.standard_support_ends}); {then}: plan the upgrade")
    elif standard_left < 0 <= extended_left:
        # A workshop stack runs the minor the workshop's labs are written for: it moves when the workshop does.
        then = (f"the workshop's labs are written for it ({labs.TABLE_FILE.name}): move when the workshop does"
                if cfg.ide.enabled and cfg.cluster.version == labs.kubernetes_version() else "upgrade")
        warnings.append(f"{key}: {cfg.cluster.version} is in EKS extended support (6x the control-plane price) "
                        f"until {control_plane.extended_support_ends}, {extended_left} days left: {then}")
    in_use = [(f"{PROJECT}:vpcCni.version", "vpc-cni", cfg.vpc_cni.version),
              *((f"{PROJECT}:addons.{n}", n, v) for n, v in cfg.addons.items())]
    for where, name, version in in_use:
        pin = control_plane.addons.get(name)
        if pin is not None and not pin.confirmed and pin.version == version:
            warnings.append(f"{where}: the catalogue's {version} for Kubernetes {cfg.cluster.version} is "
                            f"unconfirmed; check `aws eks describe-addon-versions --kubernetes-version "
                            f"{cfg.cluster.version} --addon-name {name}`")
    for name, g in cfg.node_groups.items():
        entry = cat.get(g.version)
        pin = entry.ami_releases.get(g.ami_type) if entry else None
        if pin is not None and not pin.confirmed and pin.version == g.release_version:
            warnings.append(f"{PROJECT}:nodeGroups.{name}.releaseVersion: the catalogue's {pin.version} is "
                            "unconfirmed; the upgrade guard checks its SSM parameter at `pulumi preview`")
    return warnings


# --------------------------------------------------------------------------------------------
# Entry points.
# --------------------------------------------------------------------------------------------
