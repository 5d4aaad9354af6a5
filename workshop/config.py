"""The stack configuration model: one typed, validated view of `Pulumi.<stack>.yaml`.

Every key the program reads is declared here once, with its default and the reason for it. The
program, the tests and the docs all read this model; nothing else parses `pulumi.Config`.

Field names are snake_case in Python and camelCase on the wire (`endpoint_public_access` is
`eks-workshop:cluster.endpointPublicAccess`), derived mechanically so the two can't drift.

Validation collects every problem before anything is created, and reports each as
`<config key>: <bad value> <rule>` so an operator can fix the file without reading code.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import ipaddress
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping

import pulumi

from workshop import versions
from workshop.project import PROJECT
from workshop.subnets import node_capacity, subnet_capacity, subnet_layout, subnet_prefix  # noqa: F401
# A version pin left to the catalogue: the catalogue's confirmed pin for the version in use.
CATALOGUE = "catalogue"

# The whole of RFC 1918: the only space AWS accepts for EKS Hybrid Nodes' remote networks.
RFC1918 = tuple(ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
AUTHENTICATION_MODES = ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")
UPGRADE_SUPPORT_TYPES = ("STANDARD", "EXTENDED")
NAT_MODES = ("single", "perAz")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
AMI_TYPES = (
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2_x86_64",
    "AL2_ARM_64",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
)
POD_SG_ENFORCING_MODES = ("standard", "strict")
# The managed add-ons this program knows how to order; vpc-cni has its own key (vpcCni).
MANAGED_ADDONS = ("coredns", "kube-proxy", "metrics-server", "eks-pod-identity-agent")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)

_EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_NODE_GROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
_RELEASE_VERSION = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_IAM_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_GIT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _doc(text: str, **kw: Any) -> Any:
    """A field whose `doc` says what it is and why the default is what it is."""
    return field(metadata={"doc": text}, **kw)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# --------------------------------------------------------------------------------------------
# The model. Defaults are the workshop's values (spec section 1); they are what `dev` runs.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteNetworks:
    nodes: tuple[str, ...] = _doc(
        "EKS Hybrid Nodes: on-premises node CIDRs (RFC 1918, at most one network entry).",
        default=("10.52.0.0/16",))
    pods: tuple[str, ...] = _doc(
        "EKS Hybrid Nodes: on-premises pod CIDRs (RFC 1918); needs `nodes`.",
        default=("10.53.0.0/16",))


@dataclass(frozen=True)
class Rollback:
    from_version: str = _doc("The version the cluster runs now and is rolled back from.", default="")
    upgraded_on: str = _doc("The date (YYYY-MM-DD) the upgrade to fromVersion completed.", default="")


@dataclass(frozen=True)
class ClusterConfig:
    name: str = _doc("EKS cluster name; also the `env` and `karpenter.sh/discovery` tag value.",
                     default="eks-workshop")
    version: str = _doc(
        "Kubernetes minor version of the control plane; moves every version-bound pin left at `catalogue` "
        "(README \"Upgrading Kubernetes\"). Default: the catalogue's, the newest version generally available "
        "for three months whose pins are confirmed.",
        default=versions.catalogue().default)
    upgrade_support_type: str = _doc(
        "upgradePolicy.supportType at the end of standard support: STANDARD (EKS upgrades the control plane) "
        "or EXTENDED (EKS keeps the version 12 more months at 6x the control-plane price).",
        default="STANDARD")
    rollback: Rollback = _doc(
        "Allows `version` one minor below what the cluster runs: EKS rolls a control plane back within "
        f"{versions.ROLLBACK_WINDOW_DAYS} days of an in-place upgrade. Empty refuses every downgrade.",
        default_factory=lambda: Rollback())
    endpoint_private_access: bool = _doc("Private API endpoint inside the VPC (nodes use it).",
                                         default=True)
    endpoint_public_access: bool = _doc("Public API endpoint (the workshop reaches the cluster over it).",
                                        default=True)
    public_access_cidrs: tuple[str, ...] = _doc(
        "CIDRs allowed to reach the public endpoint. The workshop's 0.0.0.0/0 is a dev-only choice.",
        default=("0.0.0.0/0",))
    authentication_mode: str = _doc(
        "API, API_AND_CONFIG_MAP or CONFIG_MAP. API: access entries only (required by hybrid nodes).",
        default="API")
    bootstrap_cluster_creator_admin_permissions: bool = _doc(
        "Give the identity that creates the cluster cluster-admin through an access entry.",
        default=True)
    log_types: tuple[str, ...] = _doc(
        "Control-plane log types sent to CloudWatch; all five so audits are possible.",
        default=CONTROL_PLANE_LOG_TYPES)
    log_retention_days: int = _doc("Retention of the control-plane log group, in days.", default=30)
    service_cidr: str = _doc(
        "Kubernetes service CIDR; pinned (EKS would pick one) so overlap with remote networks is checkable.",
        default="172.20.0.0/16")
    remote_networks: RemoteNetworks = _doc(
        "EKS Hybrid Nodes remote networks; empty lists turn the feature off.",
        default_factory=RemoteNetworks)
    admin_principals: tuple[str, ...] = _doc(
        "IAM role or user ARNs given cluster-admin through EKS access entries.", default=())
    deployer_cidrs: tuple[str, ...] = _doc(
        "Egress CIDRs of wherever `pulumi up` runs (CI runners, operators). The program talks to the "
        "Kubernetes API from there (readinessGate): with the gate on they must reach the API. Default: "
        "anywhere, as GitHub-hosted runners are.", default=("0.0.0.0/0",))


@dataclass(frozen=True)
class NetworkConfig:
    vpc_cidr: str = _doc("The cluster VPC's IPv4 CIDR.", default="10.42.0.0/16")
    az_count: int = _doc("Availability zones used: one public and one private subnet in each.", default=3)
    availability_zones: tuple[str, ...] = _doc(
        "Explicit zone names; empty means `<region>a`, `<region>b`, ... as eksctl does.", default=())
    nat_gateways: str = _doc(
        "`single` (eksctl's default, cheapest) or `perAz` (survives the loss of one zone).",
        default="single")
    flow_logs: bool = _doc("VPC flow logs to CloudWatch Logs (CIS / CKV2_AWS_11).", default=True)
    flow_log_retention_days: int = _doc("Retention of the flow-log group, in days.", default=30)


@dataclass(frozen=True)
class Taint:
    key: str = _doc("Taint key.", default="")
    value: str = _doc("Taint value (may be empty).", default="")
    effect: str = _doc("NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE.", default="NO_SCHEDULE")


@dataclass(frozen=True)
class NodeGroupConfig:
    instance_types: tuple[str, ...] = _doc("EC2 instance types, first preferred.", default=("m5.large",))
    min_size: int = _doc("Minimum nodes.", default=3)
    desired_size: int = _doc("Nodes at creation; afterwards owned by autoscalers (ignored on update).",
                             default=3)
    max_size: int = _doc("Maximum nodes.", default=6)
    version: str = _doc("Kubernetes minor version of the nodes; empty: the control plane's. At most "
                        f"{versions.MAX_KUBELET_SKEW} minors behind it, never newer.", default="")
    ami_type: str = _doc("EKS-optimized AMI family.", default="AL2023_x86_64_STANDARD")
    release_version: str = _doc(
        "EKS-optimized AMI release `<k8s>.<patch>-<yyyymmdd>`; `catalogue`: the catalogue's pin for the "
        "node group's version and amiType, one release behind the newest (the upgrade lab rolls it).",
        default=CATALOGUE)
    max_unavailable_percentage: int = _doc("Share of nodes replaced at once during a rolling update.",
                                           default=50)
    labels: Mapping[str, str] = _doc("Kubernetes node labels.",
                                     default_factory=lambda: {"workshop-default": "yes"})
    taints: tuple[Taint, ...] = _doc("Kubernetes node taints.", default=())
    disk_size: int = _doc("Root volume size in GiB (gp3, encrypted); eksctl's default is 80.", default=80)
    capacity_type: str = _doc("ON_DEMAND or SPOT.", default="ON_DEMAND")
    metadata_hop_limit: int = _doc(
        "IMDSv2 response hop limit. 1: pods on the pod network can't reach instance metadata (the node "
        "role's credentials); every add-on here that uses it runs on the host network (README "
        "\"Instance metadata\"). 2 lets pods reach it.", default=1)


@dataclass(frozen=True)
class VpcCniConfig:
    version: str = _doc("vpc-cni add-on version; `catalogue`: the catalogue's pin for the cluster version.",
                        default=CATALOGUE)
    prefix_delegation: bool = _doc("ENABLE_PREFIX_DELEGATION: /28 prefixes per ENI slot, more pods per node.",
                                   default=True)
    pod_eni: bool = _doc("ENABLE_POD_ENI: security groups for pods (needs AmazonEKSVPCResourceController).",
                         default=True)
    pod_security_group_enforcing_mode: str = _doc("POD_SECURITY_GROUP_ENFORCING_MODE: standard or strict.",
                                                  default="standard")
    network_policy: bool = _doc("enableNetworkPolicy: Kubernetes NetworkPolicy enforced by the node agent.",
                                default=True)
    policy_event_logs: bool = _doc("nodeAgent.enablePolicyEventLogs: log allow/deny decisions.", default=True)


@dataclass(frozen=True)
class IdeConfig:
    enabled: bool = _doc("Create the workshop IDE (code-server behind CloudFront).", default=True)
    instance_type: str = _doc("EC2 instance type of the IDE.", default="t3.medium")
    volume_size: int = _doc("Encrypted gp3 root volume of the IDE, in GiB.", default=30)
    vpc_cidr: str = _doc("The IDE's own small VPC (one public subnet), apart from the cluster's.",
                         default="10.0.0.0/24")
    repository_owner: str = _doc("GitHub owner of the workshop content cloned into the IDE.",
                                 default="aws-samples")
    repository_name: str = _doc("GitHub repository of the workshop content.", default="eks-workshop-v2")
    repository_ref: str = _doc("Branch or tag cloned; the guide deploys `stable`.", default="stable")
    code_server_version: str = _doc("Pinned code-server release installed on the IDE.", default="4.96.4")


DEFAULT_ADDONS = {name: CATALOGUE for name in MANAGED_ADDONS}


@dataclass(frozen=True)
class StackConfig:
    region: str = _doc("`aws:region` of the stack; the workshop guide uses ap-northeast-2.",
                       default="ap-northeast-2")
    cluster: ClusterConfig = _doc("The EKS control plane.", default_factory=ClusterConfig)
    network: NetworkConfig = _doc("The cluster VPC.", default_factory=NetworkConfig)
    node_groups: Mapping[str, NodeGroupConfig] = _doc(
        "Managed node groups by name; the map replaces the default wholly.",
        default_factory=lambda: {"default": NodeGroupConfig()})
    vpc_cni: VpcCniConfig = _doc("The vpc-cni managed add-on.", default_factory=VpcCniConfig)
    addons: Mapping[str, str] = _doc(
        "Other managed add-ons, name -> version or `catalogue` (the catalogue's pin for the cluster "
        "version); the map replaces the default wholly.",
        default_factory=lambda: dict(DEFAULT_ADDONS))
    ide: IdeConfig = _doc("The workshop IDE.", default_factory=IdeConfig)
    readiness_gate: bool = _doc(
        "Deploy a probe workload on the default node group, so `pulumi up` fails if pods can't run.",
        default=True)
    log_encryption: bool = _doc(
        "Encrypt the CloudWatch log groups (control plane, flow logs) with a customer KMS key that only "
        "CloudWatch Logs may use, for exactly these groups. On in every stack: 1 USD a month, and the audit "
        "log holds every API request.", default=True)
    tags: Mapping[str, str] = _doc("Extra tags on every taggable resource.", default_factory=dict)
    protect: bool = _doc("Protect stateful resources (cluster, VPC, KMS key) from deletion.",
                         default=False)

    @property
    def availability_zones(self) -> tuple[str, ...]:
        if self.network.availability_zones:
            return self.network.availability_zones
        return tuple(f"{self.region}{chr(ord('a') + i)}" for i in range(self.network.az_count))

    @property
    def base_tags(self) -> dict[str, str]:
        """The workshop's cluster tags (eksctl `metadata.tags`) plus the stack's extra tags."""
        return {
            "karpenter.sh/discovery": self.cluster.name,
            "created-by": "eks-workshop-v2",
            "env": self.cluster.name,
            **self.tags,
        }


# Top-level stack keys: `eks-workshop:<key>` -> StackConfig field. `region` comes from `aws:region`.
TOP_LEVEL_KEYS = {camel(f.name): f.name for f in dataclasses.fields(StackConfig) if f.name != "region"}


# --------------------------------------------------------------------------------------------
# Parsing: raw YAML values -> typed model, collecting problems instead of raising on the first.
# --------------------------------------------------------------------------------------------


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one `<key>: <value> <rule>` line each.

    A RunError, so the Pulumi CLI prints the message alone, without a traceback.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  " + "\n  ".join(problems))


class _Problems(list):
    def add(self, key: str, message: str) -> None:
        self.append(f"{key}: {message}")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        return "a list"
    if origin is collections.abc.Mapping:
        return "a map"
    if dataclasses.is_dataclass(tp):
        return "a map"
    return {bool: "true or false", int: "a whole number", str: "a string"}.get(tp, str(tp))


def _convert(tp: Any, raw: Any, key: str, problems: _Problems) -> Any:
    """Convert one raw value to `tp`; on a type mismatch record a problem and return the sentinel."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, raw, key, problems)
    if origin is tuple:
        if not isinstance(raw, list):
            problems.add(key, f"{raw!r} must be {_type_name(tp)}")
            return _INVALID
        item_tp = typing.get_args(tp)[0]
        items = [_convert(item_tp, v, f"{key}[{i}]", problems) for i, v in enumerate(raw)]
        return _INVALID if _INVALID in items else tuple(items)
    if origin is collections.abc.Mapping:
        if not isinstance(raw, dict):
            problems.add(key, f"{raw!r} must be {_type_name(tp)}")
            return _INVALID
        value_tp = typing.get_args(tp)[1]
        out = {}
        for k, v in raw.items():
            out[str(k)] = _convert(value_tp, v, f"{key}.{k}", problems)
        return _INVALID if _INVALID in out.values() else out
    # YAML `yes`/`no` and numbers are already typed by the loader; bool is not an int here.
    ok = isinstance(raw, tp) and not (tp is int and isinstance(raw, bool))
    if tp is str and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # YAML read a number: an unquoted 1.30 arrives as 1.3, so the file's text can't be echoed back.
        problems.add(key, f"{raw!r} must be a string: quote the value as written in the file (YAML reads an "
                          "unquoted 1.30 as the number 1.3)")
        return _INVALID
    if not ok:
        problems.add(key, f"{raw!r} must be {_type_name(tp)}")
        return _INVALID
    return raw


_INVALID = object()


def _build(cls: type, raw: Any, key: str, problems: _Problems) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        problems.add(key, f"{raw!r} must be a map")
        return _INVALID
    hints = typing.get_type_hints(cls)
    by_wire = {camel(f.name): f for f in dataclasses.fields(cls)}
    values = {}
    for wire, value in raw.items():
        f = by_wire.get(wire)
        if f is None:
            problems.add(f"{key}.{wire}", f"unknown key (known: {', '.join(sorted(by_wire))})")
            continue
        converted = _convert(hints[f.name], value, f"{key}.{wire}", problems)
        if converted is not _INVALID:
            values[f.name] = converted
    return cls(**values)


# --------------------------------------------------------------------------------------------
# Rules across fields.
# --------------------------------------------------------------------------------------------


def _network(value: str, key: str, problems: _Problems) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        problems.add(key, f"{value!r} is not a valid CIDR ({e})")
        return None
    if net.version != 4:
        problems.add(key, f"{value!r} is not IPv4 (IPv4 only)")
        return None
    return net


def _validate(cfg: StackConfig, problems: _Problems) -> None:
    p = f"{PROJECT}:"
    if not _REGION.match(cfg.region):
        problems.add("aws:region", f"{cfg.region!r} is not an AWS region name")

    # -- cluster
    c = cfg.cluster
    ck = f"{p}cluster"
    if not _EKS_NAME.match(c.name):
        problems.add(f"{ck}.name", f"{c.name!r} must be 1-100 letters, digits, '-' or '_', starting "
                                   "with a letter or digit")
    if c.upgrade_support_type not in UPGRADE_SUPPORT_TYPES:
        problems.add(f"{ck}.upgradeSupportType",
                     f"{c.upgrade_support_type!r} must be one of {', '.join(UPGRADE_SUPPORT_TYPES)}")
    if not (c.endpoint_private_access or c.endpoint_public_access):
        problems.add(f"{ck}.endpointPublicAccess", "false with endpointPrivateAccess false: at least one "
                                                   "API endpoint must be on")
    for i, cidr in enumerate(c.public_access_cidrs):
        _network(cidr, f"{ck}.publicAccessCidrs[{i}]", problems)
    if c.endpoint_public_access and not c.public_access_cidrs:
        problems.add(f"{ck}.publicAccessCidrs", "[] with the public endpoint on: list at least one CIDR")
    if c.authentication_mode not in AUTHENTICATION_MODES:
        problems.add(f"{ck}.authenticationMode",
                     f"{c.authentication_mode!r} must be one of {', '.join(AUTHENTICATION_MODES)}")
    for i, t in enumerate(c.log_types):
        if t not in CONTROL_PLANE_LOG_TYPES:
            problems.add(f"{ck}.logTypes[{i}]",
                         f"{t!r} is not a control-plane log type ({', '.join(CONTROL_PLANE_LOG_TYPES)})")
    if len(set(c.log_types)) != len(c.log_types):
        problems.add(f"{ck}.logTypes", f"{list(c.log_types)} lists a log type twice")
    if c.log_retention_days not in LOG_RETENTION_DAYS:
        problems.add(f"{ck}.logRetentionDays",
                     f"{c.log_retention_days} is not a CloudWatch retention period {LOG_RETENTION_DAYS}")
    for i, arn in enumerate(c.admin_principals):
        if not _IAM_PRINCIPAL.match(arn):
            problems.add(f"{ck}.adminPrincipals[{i}]", f"{arn!r} is not an IAM role or user ARN")
    if c.admin_principals and c.authentication_mode == "CONFIG_MAP":
        problems.add(f"{ck}.authenticationMode",
                     "CONFIG_MAP cannot hold access entries for adminPrincipals: use API or API_AND_CONFIG_MAP")

    vpc = _network(cfg.network.vpc_cidr, f"{p}network.vpcCidr", problems)
    service = _network(c.service_cidr, f"{ck}.serviceCidr", problems)
    if service is not None:
        if not any(service.subnet_of(r) for r in RFC1918):
            problems.add(f"{ck}.serviceCidr", f"{c.service_cidr!r} must be within RFC 1918")
        if not 12 <= service.prefixlen <= 24:
            problems.add(f"{ck}.serviceCidr", f"{c.service_cidr!r} must be a /12 to /24")
        if vpc is not None and service.overlaps(vpc):
            problems.add(f"{ck}.serviceCidr", f"{c.service_cidr!r} overlaps the VPC {cfg.network.vpc_cidr}")

    _validate_remote_networks(cfg, vpc, service, problems)
    _validate_api_reach(cfg, vpc, problems)

    # -- network
    n = cfg.network
    nk = f"{p}network"
    if vpc is not None and not 16 <= vpc.prefixlen <= 28:
        problems.add(f"{nk}.vpcCidr", f"{n.vpc_cidr!r} must be a /16 to /28 (AWS VPC limits)")
    if not 2 <= n.az_count <= 6:
        problems.add(f"{nk}.azCount", f"{n.az_count} must be 2 to 6 (EKS needs subnets in two zones)")
    if n.availability_zones:
        if len(n.availability_zones) != n.az_count:
            problems.add(f"{nk}.availabilityZones",
                         f"{list(n.availability_zones)} lists {len(n.availability_zones)} zones but "
                         f"azCount is {n.az_count}")
        for i, az in enumerate(n.availability_zones):
            if not (az.startswith(cfg.region) and len(az) == len(cfg.region) + 1):
                problems.add(f"{nk}.availabilityZones[{i}]", f"{az!r} is not a zone of {cfg.region}")
    if vpc is not None and 2 <= n.az_count <= 6:
        prefix = subnet_prefix(vpc, n.az_count)
        if prefix > 28:
            problems.add(f"{nk}.vpcCidr", f"{n.vpc_cidr!r} is too small for {2 * n.az_count} subnets "
                                          f"(would need /{prefix}; AWS subnets are /28 at the smallest)")
    if vpc is not None and 2 <= n.az_count <= 6 and subnet_prefix(vpc, n.az_count) <= 28 and cfg.node_groups:
        _validate_capacity(cfg, vpc, problems)
    if n.nat_gateways not in NAT_MODES:
        problems.add(f"{nk}.natGateways", f"{n.nat_gateways!r} must be one of {', '.join(NAT_MODES)}")
    if n.flow_log_retention_days not in LOG_RETENTION_DAYS:
        problems.add(f"{nk}.flowLogRetentionDays",
                     f"{n.flow_log_retention_days} is not a CloudWatch retention period")

    # -- node groups
    gk = f"{p}nodeGroups"
    if not cfg.node_groups:
        problems.add(gk, "{} must define at least one node group (CoreDNS needs nodes)")
    for name, g in cfg.node_groups.items():
        _validate_node_group(name, g, f"{gk}.{name}", problems)

    # -- vpc-cni and add-ons
    v = cfg.vpc_cni
    if v.version != CATALOGUE and not _ADDON_VERSION.match(v.version):
        problems.add(f"{p}vpcCni.version", f"{v.version!r} is not an add-on version like v1.19.2-eksbuild.1 "
                                           f"or {CATALOGUE!r}")
    if v.pod_security_group_enforcing_mode not in POD_SG_ENFORCING_MODES:
        problems.add(f"{p}vpcCni.podSecurityGroupEnforcingMode",
                     f"{v.pod_security_group_enforcing_mode!r} must be one of {', '.join(POD_SG_ENFORCING_MODES)}")
    for name, version in cfg.addons.items():
        ak = f"{p}addons.{name}"
        if name not in MANAGED_ADDONS:
            problems.add(ak, f"unknown add-on (known: {', '.join(MANAGED_ADDONS)}; vpc-cni is vpcCni)")
        elif version != CATALOGUE and not _ADDON_VERSION.match(version):
            problems.add(ak, f"{version!r} is not an add-on version like v1.11.3-eksbuild.2 or {CATALOGUE!r}")

    # -- ide
    ide, ik = cfg.ide, f"{p}ide"
    if not _INSTANCE_TYPE.match(ide.instance_type):
        problems.add(f"{ik}.instanceType", f"{ide.instance_type!r} is not an EC2 instance type like t3.medium")
    if not 8 <= ide.volume_size <= 16384:
        problems.add(f"{ik}.volumeSize", f"{ide.volume_size} must be 8 to 16384 GiB")
    ide_vpc = _network(ide.vpc_cidr, f"{ik}.vpcCidr", problems)
    if ide_vpc is not None and not 16 <= ide_vpc.prefixlen <= 28:
        problems.add(f"{ik}.vpcCidr", f"{ide.vpc_cidr!r} must be a /16 to /28 (AWS VPC limits)")
    if not _GITHUB_OWNER.match(ide.repository_owner):
        problems.add(f"{ik}.repositoryOwner", f"{ide.repository_owner!r} is not a GitHub user or organization")
    if not _GITHUB_REPO.match(ide.repository_name):
        problems.add(f"{ik}.repositoryName", f"{ide.repository_name!r} is not a GitHub repository name")
    if not _GIT_REF.match(ide.repository_ref) or ".." in ide.repository_ref:
        problems.add(f"{ik}.repositoryRef", f"{ide.repository_ref!r} is not a branch or tag name")
    if not _SEMVER.match(ide.code_server_version):
        problems.add(f"{ik}.codeServerVersion", f"{ide.code_server_version!r} is not a release like 4.96.4")

    # -- tags
    for k, val in cfg.tags.items():
        if k.lower().startswith("aws:"):
            problems.add(f"{p}tags.{k}", "keys starting with 'aws:' are reserved by AWS")
        if not 1 <= len(k) <= 128 or len(val) > 256:
            problems.add(f"{p}tags.{k}", f"{val!r}: keys are 1-128 and values at most 256 characters")
    if len(cfg.base_tags) > 50:
        problems.add(f"{p}tags", f"{len(cfg.base_tags)} tags with the workshop's own: AWS allows 50")


def _validate_capacity(cfg: StackConfig, vpc, problems: _Problems) -> None:
    """Each private subnet must hold its zone's share of every node group at maxSize, and their pods."""
    capacity = stack_capacity(cfg, vpc)
    if capacity is None or capacity.fits:
        return
    mode = "with prefix delegation" if cfg.vpc_cni.prefix_delegation else "without prefix delegation"
    groups = ", ".join(f"nodeGroups.{name}.maxSize {g.max_size}" for name, g in cfg.node_groups.items())
    if cfg.vpc_cni.prefix_delegation:
        need = (f"{capacity.blocks_needed} free aligned /28 blocks (each node's pods {mode}, a warm prefix) "
                f"and {capacity.addresses_needed} addresses; each has {capacity.blocks_free} such blocks")
    else:
        need = f"{capacity.addresses_needed} addresses ({mode}); each has {capacity.addresses_free}"
    problems.add(f"{PROJECT}:network.vpcCidr",
                 f"{cfg.network.vpc_cidr!r} gives /{capacity.prefix_length} private subnets, too small for the "
                 f"nodes at maxSize: {groups} put {capacity.nodes} nodes in a zone, needing {need}: widen "
                 "network.vpcCidr or lower maxSize")


def stack_capacity(cfg: StackConfig, vpc=None):
    """The busiest private subnet's capacity at maxSize (workshop.subnets); None without ENI data."""
    vpc = vpc or ipaddress.ip_network(cfg.network.vpc_cidr)
    return subnet_capacity(subnet_prefix(vpc, cfg.network.az_count),
                           cfg.network.az_count,
                           {n: g.instance_types for n, g in cfg.node_groups.items()},
                           {n: g.max_size for n, g in cfg.node_groups.items()},
                           cfg.vpc_cni.prefix_delegation)


def _validate_api_reach(cfg: StackConfig, vpc, problems: _Problems) -> None:
    """Kubernetes resources (the readiness gate) are created from where `pulumi up` runs: the API must
    be reachable from there, through the public endpoint's CIDRs or, with only the private endpoint,
    from inside the VPC."""
    c = cfg.cluster
    deployers = [(cidr, _network(cidr, f"{PROJECT}:cluster.deployerCidrs[{i}]", problems))
                 for i, cidr in enumerate(c.deployer_cidrs)]
    if not cfg.readiness_gate or any(net is None for _, net in deployers):
        return
    if c.endpoint_public_access:
        allowed = [n for n in (_network(x, "", _Problems()) for x in c.public_access_cidrs) if n is not None]
        where = f"publicAccessCidrs {list(c.public_access_cidrs)}"
    else:  # the private endpoint answers inside the VPC and on the networks hybrid nodes use
        remote = [n for n in (_network(x, "", _Problems()) for x in c.remote_networks.nodes) if n is not None]
        allowed = ([vpc] if vpc is not None else []) + remote
        where = (f"the private endpoint only: the VPC {cfg.network.vpc_cidr} and remote node networks "
                 f"{list(c.remote_networks.nodes)}")
    outside = [cidr for cidr, net in deployers if not any(net.subnet_of(a) for a in allowed)]
    if outside:
        problems.add(f"{PROJECT}:readinessGate",
                     f"true, but deployers {outside} (cluster.deployerCidrs) can't reach the Kubernetes API "
                     f"({where}): deploy from inside those ranges and list them in deployerCidrs, or set "
                     "readinessGate false")


def _validate_remote_networks(cfg: StackConfig, vpc, service, problems: _Problems) -> None:
    rk = f"{PROJECT}:cluster.remoteNetworks"
    remote = cfg.cluster.remote_networks
    if not (remote.nodes or remote.pods):
        return
    if remote.pods and not remote.nodes:
        problems.add(f"{rk}.pods", f"{list(remote.pods)} needs remoteNetworks.nodes (pod networks belong "
                                   "to hybrid nodes)")
    if cfg.cluster.authentication_mode == "CONFIG_MAP":
        problems.add(f"{PROJECT}:cluster.authenticationMode",
                     "CONFIG_MAP is not supported with remoteNetworks: use API or API_AND_CONFIG_MAP")
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for kind, cidrs in (("nodes", remote.nodes), ("pods", remote.pods)):
        for i, cidr in enumerate(cidrs):
            key = f"{rk}.{kind}[{i}]"
            net = _network(cidr, key, problems)
            if net is None:
                continue
            if not any(net.subnet_of(r) for r in RFC1918):
                problems.add(key, f"{cidr!r} must be within RFC 1918 (10/8, 172.16/12, 192.168/16)")
            if vpc is not None and net.overlaps(vpc):
                problems.add(key, f"{cidr!r} overlaps the VPC CIDR {cfg.network.vpc_cidr}")
            if service is not None and net.overlaps(service):
                problems.add(key, f"{cidr!r} overlaps the service CIDR {cfg.cluster.service_cidr}")
            for other_key, other in seen:
                if net.overlaps(other):
                    problems.add(key, f"{cidr!r} overlaps {other_key} ({other})")
            seen.append((key, net))


def _validate_node_group(name: str, g: NodeGroupConfig, key: str, problems: _Problems) -> None:
    if not _NODE_GROUP_NAME.match(name):
        problems.add(key, f"{name!r} is not a node group name (1-63 letters, digits, '-' or '_')")
    if not g.instance_types:
        problems.add(f"{key}.instanceTypes", "[] must list at least one instance type")
    for i, t in enumerate(g.instance_types):
        if not _INSTANCE_TYPE.match(t):
            problems.add(f"{key}.instanceTypes[{i}]", f"{t!r} is not an EC2 instance type like m5.large")
    if g.max_size < 1:
        problems.add(key, f"maxSize {g.max_size} < 1")
    if g.min_size < 0:
        problems.add(key, f"minSize {g.min_size} < 0")
    if g.min_size > g.desired_size:
        problems.add(key, f"minSize {g.min_size} > desiredSize {g.desired_size}")
    if g.desired_size > g.max_size:
        problems.add(key, f"desiredSize {g.desired_size} > maxSize {g.max_size}")
    if g.ami_type not in AMI_TYPES:
        problems.add(f"{key}.amiType", f"{g.ami_type!r} must be one of {', '.join(AMI_TYPES)}")
    if g.release_version != CATALOGUE and not _RELEASE_VERSION.match(g.release_version):
        problems.add(f"{key}.releaseVersion",
                     f"{g.release_version!r} is not an AMI release like 1.35.6-20260625 or {CATALOGUE!r}")
    if not 1 <= g.max_unavailable_percentage <= 100:
        problems.add(f"{key}.maxUnavailablePercentage",
                     f"{g.max_unavailable_percentage} must be 1 to 100")
    if not 20 <= g.disk_size <= 16384:
        problems.add(f"{key}.diskSize", f"{g.disk_size} must be 20 to 16384 GiB")
    if not 1 <= g.metadata_hop_limit <= 64:
        problems.add(f"{key}.metadataHopLimit", f"{g.metadata_hop_limit} must be 1 to 64 (EC2's range)")
    if g.capacity_type not in CAPACITY_TYPES:
        problems.add(f"{key}.capacityType", f"{g.capacity_type!r} must be one of {', '.join(CAPACITY_TYPES)}")
    for lk, lv in g.labels.items():
        if not _LABEL_KEY.match(lk) or not _LABEL_VALUE.match(lv):
            problems.add(f"{key}.labels.{lk}", f"{lv!r} is not a valid Kubernetes label")
    for i, t in enumerate(g.taints):
        if not t.key or not _LABEL_KEY.match(t.key):
            problems.add(f"{key}.taints[{i}].key", f"{t.key!r} is not a valid taint key")
        if t.effect not in TAINT_EFFECTS:
            problems.add(f"{key}.taints[{i}].effect", f"{t.effect!r} must be one of {', '.join(TAINT_EFFECTS)}")


# --------------------------------------------------------------------------------------------
# Versions: every pin checked against the catalogue, and `catalogue` pins filled in from it.
# --------------------------------------------------------------------------------------------


def _resolve_versions(cfg: StackConfig, as_of: dt.date, problems: _Problems) -> StackConfig:
    """The config with every version pin concrete, or problems explaining which pin can't be."""
    p = f"{PROJECT}:"
    cat = versions.catalogue()
    c = cfg.cluster
    known = ", ".join(cat.names)
    if not _K8S_VERSION.match(c.version):
        problems.add(f"{p}cluster.version", f"{c.version!r} is not a Kubernetes minor version like "
                                            f"\"{cat.default}\" (quote it in YAML)")
        return cfg
    control_plane = cat.get(c.version)
    if control_plane is None:
        problems.add(f"{p}cluster.version", f"{c.version!r} is not in the version catalogue ({known}; "
                                            "workshop/kubernetes_versions.json)")
        return cfg
    support = control_plane.support(as_of)
    if support == "ended":
        successor = cat.get(f"1.{control_plane.minor + 1}")
        problems.add(f"{p}cluster.version",
                     f"{c.version!r} left EKS extended support on {control_plane.extended_support_ends} "
                     f"(plan date {as_of}): EKS creates no {c.version} cluster and upgrades existing ones "
                     f"itself; move to {successor.version if successor else 'a newer version'}")
    elif support == "unreleased":
        problems.add(f"{p}cluster.version",
                     f"{c.version!r} is not released on EKS until {control_plane.released} (plan date {as_of})")
    _validate_rollback(cfg, control_plane, as_of, problems)

    def addon_pin(key: str, name: str, pinned: str) -> str:
        if pinned != CATALOGUE:
            if name == "kube-proxy" and not pinned.startswith(f"v{c.version}."):
                problems.add(key, f"{pinned!r} is for another Kubernetes minor: kube-proxy must match the "
                                  f"cluster version {c.version} (v{c.version}.x)")
            return pinned
        found = control_plane.addons.get(name)
        if found is None:
            problems.add(key, f"{CATALOGUE!r}: the catalogue has no {name} version for Kubernetes {c.version}; "
                              "pin one explicitly")
            return pinned
        return found.version

    vpc_cni = dataclasses.replace(cfg.vpc_cni, version=addon_pin(f"{p}vpcCni.version", "vpc-cni",
                                                                  cfg.vpc_cni.version))
    addons = {name: addon_pin(f"{p}addons.{name}", name, pinned) for name, pinned in cfg.addons.items()}

    groups = {}
    for name, g in cfg.node_groups.items():
        key = f"{p}nodeGroups.{name}"
        version = g.version or c.version
        nodes = cat.get(version) if _K8S_VERSION.match(version) else None
        if nodes is None:
            problems.add(f"{key}.version", f"{g.version!r} is not in the version catalogue ({known})")
            groups[name] = g
            continue
        if nodes.minor > control_plane.minor:
            problems.add(f"{key}.version", f"{version!r} is newer than the control plane's {c.version}: "
                                           "kubelet may never be newer than the API server")
        elif control_plane.minor - nodes.minor > versions.MAX_KUBELET_SKEW:
            problems.add(f"{key}.version",
                         f"{version!r} is {control_plane.minor - nodes.minor} minors behind the control "
                         f"plane's {c.version}: kubelet may lag by at most {versions.MAX_KUBELET_SKEW}")
        release = g.release_version
        if release == CATALOGUE:
            found = nodes.ami_releases.get(g.ami_type)
            if found is None:
                problems.add(f"{key}.releaseVersion",
                             f"{CATALOGUE!r}: the catalogue has no {g.ami_type} release for Kubernetes "
                             f"{version}; pin releaseVersion explicitly")
            else:
                release = found.version
        elif (m := _RELEASE_VERSION.match(release)) and m.group(1) != version:
            problems.add(f"{key}.releaseVersion", f"{release!r} is for Kubernetes {m.group(1)}, not the node "
                                                  f"group's {version}")
        groups[name] = dataclasses.replace(g, version=version, release_version=release)

    return dataclasses.replace(cfg, vpc_cni=vpc_cni, addons=addons, node_groups=groups)


def _validate_rollback(cfg: StackConfig, control_plane: versions.KubernetesVersion, as_of: dt.date,
                       problems: _Problems) -> None:
    """A rollback is allowed only as EKS allows it: one minor, within its window, into a supported policy."""
    c, rk = cfg.cluster, f"{PROJECT}:cluster.rollback"
    r = c.rollback
    if not (r.from_version or r.upgraded_on):
        return
    if not (r.from_version and r.upgraded_on):
        problems.add(rk, "set both fromVersion and upgradedOn, or neither")
        return
    if versions.catalogue().get(r.from_version) is None or versions.minor(r.from_version) != control_plane.minor + 1:
        problems.add(f"{rk}.fromVersion", f"{r.from_version!r} must be one minor above cluster.version "
                                          f"{c.version}: EKS rolls back one minor only")
    try:
        upgraded = dt.date.fromisoformat(r.upgraded_on)
    except ValueError:
        problems.add(f"{rk}.upgradedOn", f"{r.upgraded_on!r} is not a date like 2026-11-20")
        return
    age = (as_of - upgraded).days
    if not 0 <= age <= versions.ROLLBACK_WINDOW_DAYS:
        problems.add(f"{rk}.upgradedOn", f"{r.upgraded_on} is {age} days before the plan date {as_of}: EKS "
                                         f"rolls back only within {versions.ROLLBACK_WINDOW_DAYS} days of the "
                                         "upgrade; past that, move forward or rebuild")
    if control_plane.support(as_of) == "extended" and c.upgrade_support_type != "EXTENDED":
        problems.add(f"{PROJECT}:cluster.upgradeSupportType",
                     f"{c.upgrade_support_type!r}: rolling back into {c.version}, which is in extended "
                     "support, needs EXTENDED first (EKS rollback prerequisite)")


def config_warnings(cfg: StackConfig, as_of: dt.date) -> list[str]:
    """Everything that plans but deserves a WARNING: the version's, and deliberate deviations."""
    warnings = version_warnings(cfg, as_of)
    if stack_capacity(cfg) is None:
        types = sorted({t for g in cfg.node_groups.values() for t in g.instance_types if node_capacity(t, True) is None})
        warnings.append(f"{PROJECT}:nodeGroups: no ENI data for {types} in workshop/instance_network_limits.json: "
                        "the subnets' pod capacity was not checked")
    c = cfg.cluster
    if c.remote_networks.nodes and c.endpoint_public_access and c.endpoint_private_access:
        warnings.append(f"{PROJECT}:cluster.endpointPublicAccess: true with endpointPrivateAccess and "
                        "remoteNetworks: EKS documents that a hybrid-nodes cluster cannot use 'Public and "
                        "Private' endpoint connectivity; choose one (README \"Hybrid nodes and the API endpoint\")")
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
        warnings.append(f"{key}: {cfg.cluster.version} is in EKS extended support (6x the control-plane price) "
                        f"until {control_plane.extended_support_ends}, {extended_left} days left: upgrade")
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


def parse(values: Mapping[str, Any], as_of: dt.date | None = None) -> StackConfig:
    """Build and validate the model from fully-qualified config keys (`aws:region`, `eks-workshop:x`).

    Values are already decoded (objects as dicts). Version pins left at `catalogue` come back resolved
    for the stack's Kubernetes versions; support windows are judged on `as_of` (the plan date).
    Raises ConfigError listing every problem.
    """
    problems = _Problems()
    kwargs: dict[str, Any] = {}
    region = values.get("aws:region")
    if region is None:
        problems.add("aws:region", "missing: set it with `pulumi config set aws:region <region>`")
    elif isinstance(region, str):
        kwargs["region"] = region
    else:
        problems.add("aws:region", f"{region!r} must be a string")
    hints = typing.get_type_hints(StackConfig)
    for full_key, raw in values.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        name = TOP_LEVEL_KEYS.get(key)
        if name is None:
            problems.add(full_key, f"unknown key (known: {', '.join(sorted(TOP_LEVEL_KEYS))})")
            continue
        converted = _convert(hints[name], raw, full_key, problems)
        if converted is not _INVALID:
            kwargs[name] = converted
    if problems:
        raise ConfigError(problems)
    cfg = StackConfig(**kwargs)
    _validate(cfg, problems)
    if problems:
        raise ConfigError(problems)
    cfg = _resolve_versions(cfg, as_of or versions.plan_date(), problems)
    if problems:
        raise ConfigError(problems)
    return cfg


def from_pulumi() -> StackConfig:
    """Read every config value of this stack from the Pulumi runtime and parse it."""
    import json

    import pulumi.runtime.config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    as_of = versions.plan_date()
    values: dict[str, Any] = {}
    for key, text in raw.items():
        try:
            values[key] = json.loads(text) if isinstance(text, str) and text[:1] in "{[" else text
        except json.JSONDecodeError:
            values[key] = text
        # Scalars arrive as strings; the model's types decide how to read them.
        if isinstance(values[key], str) and key.startswith(f"{PROJECT}:"):
            values[key] = _scalar(values[key])
    cfg = parse(values, as_of)
    for warning in config_warnings(cfg, as_of):
        pulumi.log.warn(warning)
    return cfg


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    return text
