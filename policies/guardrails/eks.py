"""EKS control plane, node groups and the vpc-cni add-on."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

from pulumi_policy import EnforcementLevel, Severity

from .common import OPEN_CIDRS, RFC1918, dig, has_key, network, resource_policy, within

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _public_endpoint(props, config, report):
    if dig(props, "vpcConfig.endpointPublicAccess") is False:
        return
    cidrs = dig(props, "vpcConfig.publicAccessCidrs") or ["0.0.0.0/0"]  # AWS's default when unset
    open_cidrs = [c for c in cidrs if c in OPEN_CIDRS]
    if open_cidrs:
        report(f"the public API endpoint is open to {', '.join(open_cidrs)}; list the CIDRs that need it "
               "in vpcConfig.publicAccessCidrs or turn the public endpoint off")
    allowed = [network(c) for c in config.get("allowedCidrs", [])]
    if allowed:
        outside = [c for c in cidrs if c not in OPEN_CIDRS and not any(
            (n := network(c)) is not None and a is not None and within(n, a)
            for a in allowed)]
        if outside:
            report(f"public endpoint CIDRs {outside} are outside the allowed {config['allowedCidrs']}")


def _secrets_encryption(props, config, report):
    enc = props.get("encryptionConfig")
    provider = (enc.get("provider") if enc else None) or {}
    # Whether a key is named, not which: during preview a key created alongside is still unknown.
    if not enc or "secrets" not in (enc.get("resources") or []) or not has_key(provider, "keyArn"):
        report("Kubernetes secrets are not envelope-encrypted: set encryptionConfig with resources "
               "['secrets'] and a KMS key ARN")


def _logging(props, config, report):
    required = config.get("requiredLogTypes", LOG_TYPES)
    enabled = set(props.get("enabledClusterLogTypes") or [])
    missing = [t for t in required if t not in enabled]
    if missing:
        report(f"control-plane log types {missing} are not enabled (enabledClusterLogTypes)")


# The program's version catalogue (workshop/kubernetes_versions.json), copied in by `make docs` so the
# pack runs standalone; a test keeps the two equal.
CATALOGUE = json.loads((Path(__file__).resolve().parent / "kubernetes_versions.json").read_text())["versions"]


def _as_of(config) -> dt.date:
    """The date support is judged on: the config's `asOf` (what `make plan --as-of` sends), else today."""
    value = config.get("asOf")
    return dt.date.fromisoformat(value) if value else dt.date.today()


def _supported_version(props, config, report):
    version = props.get("version")
    if not version:
        report("the Kubernetes version is not pinned: set version so upgrades are deliberate")
        return
    entry = CATALOGUE.get(version)
    if entry is None:
        report(f"Kubernetes {version} is not in the version catalogue ({', '.join(CATALOGUE)})")
        return
    as_of = _as_of(config)
    if as_of > dt.date.fromisoformat(entry["extendedSupportEnds"]):
        report(f"Kubernetes {version} left EKS extended support on {entry['extendedSupportEnds']} "
               f"(as of {as_of}): EKS creates no such cluster and upgrades existing ones itself")
    elif as_of < dt.date.fromisoformat(entry["released"]):
        report(f"Kubernetes {version} is not released on EKS until {entry['released']} (as of {as_of})")


def _support_window(props, config, report):
    version = props.get("version")
    entry = CATALOGUE.get(version) if version else None
    if entry is None:
        return  # eks-supported-version reports it
    as_of = _as_of(config)
    standard_ends = dt.date.fromisoformat(entry["standardSupportEnds"])
    left, needed = (standard_ends - as_of).days, int(config.get("minDaysOfStandardSupport", 60))
    if left < 0:
        report(f"Kubernetes {version} left EKS standard support on {standard_ends} (as of {as_of}): the control "
               "plane is billed at the extended-support rate or upgraded by EKS; upgrade")
    elif left < needed:
        report(f"Kubernetes {version} leaves EKS standard support in {left} days ({standard_ends}, as of "
               f"{as_of}), fewer than {needed}: upgrade one minor now")


def _access_entries(props, config, report):
    mode = dig(props, "accessConfig.authenticationMode")
    if mode not in ("API", "API_AND_CONFIG_MAP"):
        report(f"authentication mode {mode or 'CONFIG_MAP (default)'} doesn't use EKS access entries; "
               "set accessConfig.authenticationMode to API or API_AND_CONFIG_MAP")


def _remote_networks(props, config, report):
    remote = props.get("remoteNetworkConfig")
    if not remote:
        return
    service = network(dig(props, "kubernetesNetworkConfig.serviceIpv4Cidr"))
    seen: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for kind in ("remoteNodeNetworks", "remotePodNetworks"):
        for cidr in dig(remote, f"{kind}.cidrs") or []:
            net = network(cidr)
            if net is None or not any(within(net, r) for r in RFC1918):
                report(f"{kind} CIDR {cidr} is not an IPv4 RFC 1918 range")
                continue
            if service is not None and net.overlaps(service):
                report(f"{kind} CIDR {cidr} overlaps the service CIDR {service}")
            for other in seen:
                if net.overlaps(other):
                    report(f"{kind} CIDR {cidr} overlaps remote network {other}")
            seen.append(net)


def _hybrid_endpoint_mode(props, config, report):
    if not dig(props, "remoteNetworkConfig.remoteNodeNetworks.cidrs"):
        return
    if dig(props, "vpcConfig.endpointPublicAccess") is not False and dig(props, "vpcConfig.endpointPrivateAccess"):
        report("EKS Hybrid Nodes (remoteNetworkConfig) with both the public and the private endpoint: EKS "
               "documents that a hybrid-nodes cluster cannot use 'Public and Private' endpoint connectivity; "
               "choose public only or private only")


def _no_open_ssh(props, config, report):
    remote = props.get("remoteAccess")
    if remote and remote.get("ec2SshKey") and not remote.get("sourceSecurityGroupIds"):
        report("node group allows SSH from anywhere: remoteAccess has a key but no sourceSecurityGroupIds "
               "(use SSM Session Manager, or restrict the source)")


def _vpc_cni(props, config, report):
    if props.get("addonName") != "vpc-cni":
        return
    if not props.get("addonVersion"):
        report("vpc-cni add-on version is not pinned (addonVersion)")
    raw = props.get("configurationValues")
    try:
        values = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        report("vpc-cni configurationValues is not valid JSON")
        return
    if str(values.get("enableNetworkPolicy", "false")).lower() != "true":
        report("vpc-cni network policy is off: set configurationValues enableNetworkPolicy to \"true\"")


def _deletion_protection(props, config, report):
    if props.get("deletionProtection") is not True:
        report("EKS deletion protection is off: anyone with eks:DeleteCluster can delete the cluster, whatever "
               "Pulumi's protect says")


def _zonal_shift(props, config, report):
    if dig(props, "computeConfig.enabled"):
        return  # EKS Auto Mode doesn't support zonal shift
    if dig(props, "zonalShiftConfig.enabled") is not True:
        report("ARC zonal shift is off (zonalShiftConfig): traffic can't be moved away from an impaired zone")


def _auto_repair(props, config, report):
    if dig(props, "nodeRepairConfig.enabled") is not True:
        report("node auto repair is off (nodeRepairConfig): unhealthy nodes stay until someone replaces them")


POLICIES = [
    resource_policy(
        "eks-public-endpoint-restricted",
        "The EKS public API endpoint is off or limited to listed CIDRs, never 0.0.0.0/0.",
        [CLUSTER], _public_endpoint, severity=Severity.HIGH,
        remediation="Set vpcConfig.publicAccessCidrs (eks-workshop:cluster.publicAccessCidrs) to your egress "
                    "ranges, or endpointPublicAccess false.",
        config={"allowedCidrs": {"type": "array", "items": {"type": "string"},
                                 "description": "if set, every public endpoint CIDR must lie within one of these"}}),
    resource_policy(
        "eks-secrets-encryption",
        "EKS secrets are envelope-encrypted with a KMS key.",
        [CLUSTER], _secrets_encryption, severity=Severity.HIGH,
        remediation="Add encryptionConfig {resources: ['secrets'], provider: {keyArn: <KMS key>}}."),
    resource_policy(
        "eks-control-plane-logging",
        "Every EKS control-plane log type is sent to CloudWatch.",
        [CLUSTER], _logging, severity=Severity.MEDIUM,
        remediation="Set enabledClusterLogTypes to api, audit, authenticator, controllerManager, scheduler.",
        config={"requiredLogTypes": {"type": "array", "items": {"type": "string", "enum": LOG_TYPES},
                                     "default": LOG_TYPES}}),
    resource_policy(
        "eks-supported-version",
        "The cluster runs a pinned Kubernetes version from the catalogue that EKS still supports.",
        [CLUSTER], _supported_version, severity=Severity.HIGH,
        remediation="Set eks-workshop:cluster.version to a catalogued version in support (docs/upgrades.md \"Upgrading "
                    "Kubernetes\").",
        config={"asOf": {"type": "string", "format": "date",
                         "description": "judge support on this date (YYYY-MM-DD) instead of today"}}),
    resource_policy(
        "eks-version-support-window",
        "The cluster's Kubernetes version has at least minDaysOfStandardSupport days of EKS standard support left.",
        [CLUSTER], _support_window, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Upgrade eks-workshop:cluster.version one minor (docs/upgrades.md \"Upgrading Kubernetes\").",
        config={"asOf": {"type": "string", "format": "date",
                         "description": "judge support on this date (YYYY-MM-DD) instead of today"},
                "minDaysOfStandardSupport": {"type": "integer", "minimum": 0, "default": 60}}),
    resource_policy(
        "eks-access-entries",
        "The cluster authenticates through EKS access entries (API or API_AND_CONFIG_MAP).",
        [CLUSTER], _access_entries, severity=Severity.MEDIUM,
        remediation="Set accessConfig.authenticationMode to API (or API_AND_CONFIG_MAP while migrating)."),
    resource_policy(
        "eks-remote-networks-valid",
        "Hybrid-node remote networks are IPv4 RFC 1918 and overlap neither each other nor the service CIDR.",
        [CLUSTER], _remote_networks, severity=Severity.HIGH,
        remediation="Choose non-overlapping RFC 1918 CIDRs for remoteNodeNetworks and remotePodNetworks."),
    resource_policy(
        "eks-hybrid-endpoint-mode",
        "A cluster with hybrid-node remote networks uses one endpoint mode, public or private, not both.",
        [CLUSTER], _hybrid_endpoint_mode, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:cluster.endpointPublicAccess false (private only: reach the API from the VPC "
                    "or a connected network) or endpointPrivateAccess false, or drop remoteNetworks."),
    resource_policy(
        "eks-deletion-protection",
        "EKS refuses to delete the cluster (deletionProtection), beside Pulumi's protect.",
        [CLUSTER], _deletion_protection, severity=Severity.HIGH, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:cluster.deletionProtection true (docs/deploy.md \"Tearing down\" says how "
                    "to lift it)."),
    resource_policy(
        "eks-zonal-shift",
        "ARC zonal shift is on for the cluster (not with EKS Auto Mode, which doesn't support it).",
        [CLUSTER], _zonal_shift, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:cluster.zonalShift true."),
    resource_policy(
        "eks-node-auto-repair",
        "Managed node groups have EKS node auto repair on.",
        [NODE_GROUP], _auto_repair, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set eks-workshop:nodeGroups.<name>.autoRepair true."),
    resource_policy(
        "eks-node-group-no-open-ssh",
        "Managed node groups don't allow SSH from anywhere.",
        [NODE_GROUP], _no_open_ssh, severity=Severity.HIGH,
        remediation="Remove remoteAccess (use SSM Session Manager) or set sourceSecurityGroupIds."),
    resource_policy(
        "eks-vpc-cni-pinned-with-network-policy",
        "The vpc-cni add-on is pinned to an explicit version with network policy enabled.",
        [ADDON], _vpc_cni, severity=Severity.MEDIUM,
        remediation="Set addonVersion and configurationValues {\"enableNetworkPolicy\": \"true\"}."),
]
