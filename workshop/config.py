"""The stack configuration model: one typed, validated view of `Pulumi.<stack>.yaml`.

Every key the program reads is declared here once, with its default, the reason for it and its rule.
The program, the tests and the docs (README's reference, docs/stack-config.schema.json) all read this
model; nothing else parses `pulumi.Config`.

The model is pydantic: it types every value strictly (YAML's `yes` is not a bool, `"3"` not a number),
rejects unknown keys at any depth, maps snake_case fields to the camelCase wire names
(`endpoint_public_access` is `eks-workshop:cluster.endpointPublicAccess`) and writes the JSON Schema.
A rule on one value sits on its field (an `Annotated` validator); a rule across fields sits on the
model that holds them (an `after` model validator). What pydantic reports is turned into the
project's message form, `<config key>: <bad value> <rule>`, and every problem is reported at once,
before anything is created.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import ipaddress
import re
from typing import (
    Annotated,
    Any,
    Iterable,
    Literal,
    Mapping,
    Union,
    get_args,
    get_origin,
)

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from workshop import versions
from workshop.project import PROJECT
from workshop.subnets import (  # noqa: F401
    architecture,
    known_instance_types,
    node_capacity,
    subnet_capacity,
    subnet_layout,
    subnet_prefix,
)

# A version pin left to the catalogue: the catalogue's confirmed pin for the version in use.
CATALOGUE = "catalogue"

# The whole of RFC 1918: the only space AWS accepts for EKS Hybrid Nodes' remote networks.
RFC1918 = tuple(ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
AuthenticationMode = Literal["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"]
UpgradeSupportType = Literal["STANDARD", "EXTENDED"]
NatMode = Literal["single", "perAz"]
CapacityType = Literal["ON_DEMAND", "SPOT"]
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
# Bottlerocket is not offered: its releases (`1.20.3-5d9ac849`) are not `<k8s>.<patch>-<date>` strings
# and the catalogue pins none, so such a node group could never validate.
AmiType = Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2_x86_64", "AL2_ARM_64"]
PodSecurityGroupEnforcingMode = Literal["standard", "strict"]
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = get_args(LogType)
# The managed add-ons this program knows how to order; vpc-cni has its own key (vpcCni).
MANAGED_ADDONS = ("coredns", "kube-proxy", "metrics-server", "eks-pod-identity-agent")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)

_K8S_VERSION = re.compile(r"^1\.\d{2}$")
_RELEASE_VERSION = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_NODE_GROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")


# --------------------------------------------------------------------------------------------
# Rules on one value. Each names the bad value and the rule; the key comes from where it sits.
# --------------------------------------------------------------------------------------------


def _rule(*problems: tuple[str, str]) -> PydanticCustomError:
    """A broken rule: (key relative to where the validator sits, message) pairs; "" is the key itself."""
    return PydanticCustomError("rule", "{problems}", {"problems": list(problems)})


def _check(test, message) -> AfterValidator:
    """A validator for one value: `message(value)` when `test(value)` is false."""
    def check(value):
        if not test(value):
            raise _rule(("", message(value)))
        return value
    return AfterValidator(check)


def Matching(regex: str, rule: str, allow: tuple[str, ...] = ()) -> Any:
    """A string matching `regex` (also written to the JSON Schema) or one of `allow`."""
    compiled = re.compile(regex)
    schema = regex if not allow else f"^(?:{'|'.join(map(re.escape, allow))})$|{regex}"
    return Annotated[str, Field(json_schema_extra={"pattern": schema}),
                     _check(lambda v: v in allow or compiled.match(v), lambda v: f"{v!r} {rule}")]


def Between(low: int, high: int, unit: str = "", why: str = "") -> Any:
    """A whole number from `low` to `high` inclusive."""
    tail = (f" {unit}" if unit else "") + (f" ({why})" if why else "")
    return Annotated[int, Field(json_schema_extra={"minimum": low, "maximum": high}),
                     _check(lambda v: low <= v <= high, lambda v: f"{v} must be {low} to {high}{tail}")]


def _ipv4(value: str) -> ipaddress.IPv4Network:
    """The network, or the rule it breaks (a PydanticCustomError)."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        raise _rule(("", f"{value!r} is not a valid CIDR ({e})")) from None
    if net.version != 4:
        raise _rule(("", f"{value!r} is not IPv4 (IPv4 only)"))
    return net


def _cidr(low: int = 0, high: int = 32, why: str = "") -> AfterValidator:
    def check(value: str) -> str:
        net = _ipv4(value)
        if not low <= net.prefixlen <= high:
            raise _rule(("", f"{value!r} must be a /{low} to /{high}" + (f" ({why})" if why else "")))
        return value
    return AfterValidator(check)


Cidr = Annotated[str, _cidr()]
VpcCidr = Annotated[str, _cidr(16, 28, "AWS VPC limits")]
Rfc1918Cidr = Annotated[str, _cidr(), _check(
    lambda v: any(ipaddress.ip_network(v).subnet_of(r) for r in RFC1918),
    lambda v: f"{v!r} must be within RFC 1918 (10/8, 172.16/12, 192.168/16)")]


def InstanceType(example: str) -> Any:
    return Matching(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", f"is not an EC2 instance type like {example}")


def _booted_by_eks(instance_type: str) -> str:
    if instance_type in known_instance_types():
        return instance_type
    near = difflib.get_close_matches(instance_type, sorted(known_instance_types()), n=1)
    raise _rule(("", f"{instance_type!r} is not an instance type the EKS AMI knows (workshop/instance_network_limits"
                     f".json, amazon-eks-ami's instance table){f'; did you mean {near[0]!r}?' if near else ''}"))


NodeInstanceType = Annotated[InstanceType("m5.large"), AfterValidator(_booted_by_eks)]



LabelKey = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
_LABEL_KEY, _LABEL_VALUE = re.compile(LabelKey), re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
RetentionDays = Annotated[int, Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)}), _check(
    lambda v: v in LOG_RETENTION_DAYS, lambda v: f"{v} is not a CloudWatch retention period {LOG_RETENTION_DAYS}")]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Model(BaseModel):
    """Strict, closed, immutable, camelCase on the wire. Lists arrive as YAML sequences (`strict=False`
    on tuple fields lets a list through; their items stay strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=camel,
                              validate_by_name=True, validate_by_alias=True)


def _list(default: tuple, doc: str) -> Any:
    return Field(default, strict=False, description=doc)


# --------------------------------------------------------------------------------------------
# The model. Defaults are the workshop's values (spec section 1); they are what `dev` runs.
# --------------------------------------------------------------------------------------------


HybridCredentials = Literal["SSM", "IRA"]


class HybridNodesIam(_Model):
    provider: HybridCredentials = Field(
        "SSM", description="How on-premises nodes get credentials: SSM (hybrid activations, eksctl's default) or IRA "
        "(IAM Roles Anywhere, with caBundle).")
    role_arn: Matching(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", "is not an IAM role ARN",
                       allow=("",)) = Field(
        "", description="An existing role for the nodes: then only its HYBRID_LINUX access entry is created.")
    ca_bundle: Matching(r"^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$",
                        "is not a PEM certificate bundle", allow=("",)) = Field(
        "", description="IRA only: the PEM CA bundle the Roles Anywhere trust anchor trusts.")

    @model_validator(mode="after")
    def _ira_needs_a_bundle(self) -> HybridNodesIam:
        if self.provider == "IRA" and not self.role_arn and not self.ca_bundle:
            raise _rule(("caBundle", "'' but provider IRA creates a Roles Anywhere trust anchor, which needs the "
                                     "PEM CA bundle of the certificates the nodes present"))
        return self


class RemoteNetworks(_Model):
    nodes: tuple[Rfc1918Cidr, ...] = _list(
        ("10.52.0.0/16",), "EKS Hybrid Nodes: on-premises node CIDRs (RFC 1918, at most one network entry).")
    pods: tuple[Rfc1918Cidr, ...] = _list(
        ("10.53.0.0/16",), "EKS Hybrid Nodes: on-premises pod CIDRs (RFC 1918); needs `nodes`.")
    vpc_gateway_id: Matching(r"^(tgw|vgw)-[0-9a-f]{8,17}$", "is not a transit gateway (tgw-…) or virtual private "
                             "gateway (vgw-…) ID", allow=("",)) = Field(
        "", description="The gateway to the remote networks: a transit gateway (attached to the private subnets) or a "
        "virtual private gateway (attached to the VPC); every private route table then routes each remote CIDR "
        "through it. Empty: nothing routes there (as eksctl warns).")
    iam: HybridNodesIam = Field(HybridNodesIam(), description="The hybrid nodes' identity.")

    @model_validator(mode="after")
    def _pods_need_nodes_and_no_overlap(self) -> RemoteNetworks:
        problems = []
        if self.pods and not self.nodes:
            problems.append(("pods", f"{list(self.pods)} needs remoteNetworks.nodes (pod networks belong to "
                                     "hybrid nodes)"))
        if self.vpc_gateway_id and not self.nodes:
            problems.append(("vpcGatewayId", f"{self.vpc_gateway_id!r} but no remoteNetworks.nodes: there is "
                                             "nothing to route to"))
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for kind, cidrs in (("nodes", self.nodes), ("pods", self.pods)):
            for i, cidr in enumerate(cidrs):
                net = ipaddress.ip_network(cidr)
                problems += [(f"{kind}[{i}]", f"{cidr!r} overlaps {PROJECT}:cluster.remoteNetworks.{key} ({other})")
                             for key, other in seen if net.overlaps(other)]
                seen.append((f"{kind}[{i}]", net))
        if problems:
            raise _rule(*problems)
        return self


class Rollback(_Model):
    from_version: str = Field("", description="The version the cluster runs now and is rolled back from.")
    upgraded_on: str = Field("", description="The date (YYYY-MM-DD) the upgrade to fromVersion completed.")


class ClusterConfig(_Model):
    name: Matching(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$",
                   "must be 1-100 letters, digits, '-' or '_', starting with a letter or digit") = Field(
        "eks-workshop", description="EKS cluster name; also the `env` and `karpenter.sh/discovery` tag value.")
    version: str = Field(
        versions.catalogue().default,
        description="Kubernetes minor version of the control plane; moves every version-bound pin left at "
        "`catalogue` (README \"Upgrading Kubernetes\"). Default: the catalogue's, the newest version generally "
        "available for three months whose pins are confirmed.")
    upgrade_support_type: UpgradeSupportType = Field(
        "STANDARD",
        description="upgradePolicy.supportType at the end of standard support: STANDARD (EKS upgrades the "
        "control plane) or EXTENDED (EKS keeps the version 12 more months at 6x the control-plane price).")
    rollback: Rollback = Field(
        Rollback(),
        description="Allows `version` one minor below what the cluster runs: EKS rolls a control plane back "
        f"within {versions.ROLLBACK_WINDOW_DAYS} days of an in-place upgrade. Empty refuses every downgrade.")
    endpoint_private_access: bool = Field(True, description="Private API endpoint inside the VPC (nodes use it).")
    endpoint_public_access: bool = Field(
        True, description="Public API endpoint (the workshop reaches the cluster over it).")
    public_access_cidrs: tuple[Cidr, ...] = _list(
        ("0.0.0.0/0",), "CIDRs allowed to reach the public endpoint. The workshop's 0.0.0.0/0 is a dev-only choice.")
    authentication_mode: AuthenticationMode = Field(
        "API", description="API, API_AND_CONFIG_MAP or CONFIG_MAP. API: access entries only (required by hybrid "
        "nodes).")
    bootstrap_cluster_creator_admin_permissions: bool = Field(
        True, description="Give the identity that creates the cluster cluster-admin through an access entry.")
    log_types: tuple[LogType, ...] = _list(
        CONTROL_PLANE_LOG_TYPES, "Control-plane log types sent to CloudWatch; all five so audits are possible.")
    log_retention_days: RetentionDays = Field(30, description="Retention of the control-plane log group, in days.")
    service_cidr: Annotated[Rfc1918Cidr, _cidr(12, 24)] = Field(
        "172.20.0.0/16", description="Kubernetes service CIDR; pinned (EKS would pick one) so overlap with remote "
        "networks is checkable.")
    remote_networks: RemoteNetworks = Field(
        RemoteNetworks(), description="EKS Hybrid Nodes remote networks; empty lists turn the feature off.")
    admin_principals: tuple[Matching(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
                                     "is not an IAM role or user ARN"), ...] = _list(
        (), "IAM role or user ARNs given cluster-admin through EKS access entries.")
    deployer_cidrs: tuple[Cidr, ...] = _list(
        ("0.0.0.0/0",), "Egress CIDRs of wherever `pulumi up` runs (CI runners, operators). The program talks to "
        "the Kubernetes API from there (readinessGate): with the gate on they must reach the API. Default: "
        "anywhere, as GitHub-hosted runners are.")

    @model_validator(mode="after")
    def _endpoints_and_access(self) -> ClusterConfig:
        problems = []
        if not (self.endpoint_private_access or self.endpoint_public_access):
            problems.append(("endpointPublicAccess", "false with endpointPrivateAccess false: at least one API "
                                                     "endpoint must be on"))
        if self.endpoint_public_access and not self.public_access_cidrs:
            problems.append(("publicAccessCidrs", "[] with the public endpoint on: list at least one CIDR"))
        if len(set(self.log_types)) != len(self.log_types):
            problems.append(("logTypes", f"{list(self.log_types)} lists a log type twice"))
        if self.authentication_mode == "CONFIG_MAP":
            if self.admin_principals:
                problems.append(("authenticationMode", "CONFIG_MAP cannot hold access entries for adminPrincipals: "
                                                       "use API or API_AND_CONFIG_MAP"))
            if self.remote_networks.nodes or self.remote_networks.pods:
                problems.append(("authenticationMode", "CONFIG_MAP is not supported with remoteNetworks: use API "
                                                       "or API_AND_CONFIG_MAP"))
        if problems:
            raise _rule(*problems)
        return self


class NetworkConfig(_Model):
    vpc_cidr: VpcCidr = Field("10.42.0.0/16", description="The cluster VPC's IPv4 CIDR.")
    az_count: Between(2, 6, why="EKS needs subnets in two zones") = Field(
        3, description="Availability zones used: one public and one private subnet in each.")
    availability_zones: tuple[str, ...] = _list(
        (), "Explicit zone names; empty means `<region>a`, `<region>b`, ... as eksctl does.")
    nat_gateways: NatMode = Field(
        "single", description="`single` (eksctl's default, cheapest) or `perAz` (survives the loss of one zone).")
    flow_logs: bool = Field(True, description="VPC flow logs to CloudWatch Logs (CIS / CKV2_AWS_11).")
    s3_gateway_endpoint: bool = Field(
        True, description="An S3 gateway endpoint on the private route tables (free): the nodes' S3 traffic, "
        "ECR image layers included, skips the NAT gateway's per-GB charge. Same-region S3 only; bucket policies "
        "then see the endpoint (aws:sourceVpce), not the NAT address.")
    flow_log_retention_days: RetentionDays = Field(30, description="Retention of the flow-log group, in days.")

    @model_validator(mode="after")
    def _zones_fit(self) -> NetworkConfig:
        problems = []
        if self.availability_zones and len(self.availability_zones) != self.az_count:
            problems.append(("availabilityZones", f"{list(self.availability_zones)} lists "
                                                  f"{len(self.availability_zones)} zones but azCount is {self.az_count}"))
        prefix = subnet_prefix(ipaddress.ip_network(self.vpc_cidr), self.az_count)
        if prefix > 28:
            problems.append(("vpcCidr", f"{self.vpc_cidr!r} is too small for {2 * self.az_count} subnets "
                                        f"(would need /{prefix}; AWS subnets are /28 at the smallest)"))
        if problems:
            raise _rule(*problems)
        return self


class Taint(_Model):
    key: Matching(LabelKey, "is not a valid taint key") = Field("", description="Taint key.")
    value: str = Field("", description="Taint value (may be empty).")
    effect: TaintEffect = Field("NO_SCHEDULE", description="NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE.")


def _labels_valid(labels: Mapping[str, str]) -> Mapping[str, str]:
    bad = [(k, f"{v!r} is not a valid Kubernetes label") for k, v in labels.items()
           if not _LABEL_KEY.match(k) or not _LABEL_VALUE.match(v)]
    if bad:
        raise _rule(*bad)
    return labels


class NodeGroupConfig(_Model):
    instance_types: Annotated[tuple[NodeInstanceType, ...], _check(
        bool, lambda v: "[] must list at least one instance type")] = _list(
        ("m5.large",), "EC2 instance types, first preferred; each one the EKS AMI's instance table knows, of the "
        "amiType's architecture (Graviton families such as m6g need an ARM_64 type).")
    min_size: int = Field(3, description="Minimum nodes.")
    desired_size: int = Field(
        3, description="Nodes at creation; afterwards owned by autoscalers (ignored on update).")
    max_size: int = Field(6, description="Maximum nodes.")
    version: str = Field("", description="Kubernetes minor version of the nodes; empty: the control plane's. At "
                         f"most {versions.MAX_KUBELET_SKEW} minors behind it, never newer.")
    ami_type: AmiType = Field("AL2023_x86_64_STANDARD", description="EKS-optimized AMI family; AL2 ends with "
                              "Kubernetes 1.32 (EKS publishes no later AL2 AMI).")
    release_version: Matching(_RELEASE_VERSION.pattern, "is not an AMI release like 1.35.6-20260625 or 'catalogue'",
                              allow=(CATALOGUE,)) = Field(
        CATALOGUE, description="EKS-optimized AMI release `<k8s>.<patch>-<yyyymmdd>`; `catalogue`: the catalogue's "
        "pin for the node group's version and amiType, one release behind the newest (the upgrade lab rolls it).")
    max_unavailable_percentage: Between(1, 100) = Field(
        50, description="Share of nodes replaced at once during a rolling update.")
    labels: Annotated[Mapping[str, str], AfterValidator(_labels_valid)] = Field(
        {"workshop-default": "yes"}, description="Kubernetes node labels.")
    taints: tuple[Taint, ...] = _list((), "Kubernetes node taints.")
    disk_size: Between(20, 16384, "GiB") = Field(
        80, description="Root volume size in GiB (gp3, encrypted); eksctl's default is 80.")
    capacity_type: CapacityType = Field("ON_DEMAND", description="ON_DEMAND or SPOT.")
    generated_name: bool = Field(
        False, description="false: the EKS node group is named after its key (the workshop's `default`), and a "
        "change that replaces it (instance types, AMI type, disk) deletes it first: every node goes before the new "
        "group has any. true: Pulumi names it `nodes-<key>-<random>` and a replacement creates the new group "
        "before deleting the old one.")
    metadata_hop_limit: Between(1, 64, why="EC2's range") = Field(
        1, description="IMDSv2 response hop limit. 1: pods on the pod network can't reach instance metadata (the "
        "node role's credentials); every add-on here that uses it runs on the host network (README \"Instance "
        "metadata\"). 2 lets pods reach it.")

    @model_validator(mode="after")
    def _architecture_matches(self) -> NodeGroupConfig:
        wanted = "arm64" if "ARM_64" in self.ami_type else "x86_64"
        wrong = [t for t in self.instance_types if architecture(t) != wanted]
        if wrong:
            raise _rule(("amiType", f"{self.ami_type!r} boots {wanted} but {wrong} "
                                    f"{'is' if len(wrong) == 1 else 'are'} {architecture(wrong[0])} (instanceTypes)"))
        return self

    @model_validator(mode="after")
    def _sizes_in_order(self) -> NodeGroupConfig:
        problems = [("", rule) for broken, rule in (
            (self.max_size < 1, f"maxSize {self.max_size} < 1"),
            (self.min_size < 0, f"minSize {self.min_size} < 0"),
            (self.min_size > self.desired_size, f"minSize {self.min_size} > desiredSize {self.desired_size}"),
            (self.desired_size > self.max_size, f"desiredSize {self.desired_size} > maxSize {self.max_size}"),
        ) if broken]
        if problems:
            raise _rule(*problems)
        return self


def AddonVersion(example: str) -> Any:
    return Matching(_ADDON_VERSION.pattern, f"is not an add-on version like {example} or 'catalogue'",
                    allow=(CATALOGUE,))


class VpcCniConfig(_Model):
    version: AddonVersion("v1.19.2-eksbuild.1") = Field(
        CATALOGUE, description="vpc-cni add-on version; `catalogue`: the catalogue's pin for the cluster version.")
    prefix_delegation: bool = Field(
        True, description="ENABLE_PREFIX_DELEGATION: /28 prefixes per ENI slot, more pods per node.")
    pod_eni: bool = Field(
        True, description="ENABLE_POD_ENI: security groups for pods (needs AmazonEKSVPCResourceController).")
    pod_security_group_enforcing_mode: PodSecurityGroupEnforcingMode = Field(
        "standard", description="POD_SECURITY_GROUP_ENFORCING_MODE: standard or strict.")
    network_policy: bool = Field(
        True, description="enableNetworkPolicy: Kubernetes NetworkPolicy enforced by the node agent.")
    policy_event_logs: bool = Field(True, description="nodeAgent.enablePolicyEventLogs: log allow/deny decisions.")


class IdeConfig(_Model):
    enabled: bool = Field(True, description="Create the workshop IDE (code-server behind CloudFront).")
    instance_type: InstanceType("t3.medium") = Field("t3.medium", description="EC2 instance type of the IDE.")
    volume_size: Between(8, 16384, "GiB") = Field(30, description="Encrypted gp3 root volume of the IDE, in GiB.")
    vpc_cidr: VpcCidr = Field(
        "10.0.0.0/24", description="The IDE's own small VPC (one public subnet), apart from the cluster's.")
    repository_owner: Matching(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", "is not a GitHub user or organization") = Field(
        "aws-samples", description="GitHub owner of the workshop content cloned into the IDE.")
    repository_name: Matching(r"^[A-Za-z0-9._-]{1,100}$", "is not a GitHub repository name") = Field(
        "eks-workshop-v2", description="GitHub repository of the workshop content.")
    repository_ref: Annotated[Matching(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$", "is not a branch or tag name"),
                              _check(lambda v: ".." not in v, lambda v: f"{v!r} is not a branch or tag name")] = Field(
        "stable", description="Branch or tag cloned; the guide deploys `stable`.")
    code_server_version: Matching(r"^\d+\.\d+\.\d+$", "is not a release like 4.96.4") = Field(
        "4.96.4", description="Pinned code-server release installed on the IDE.")


DEFAULT_ADDONS = {name: CATALOGUE for name in MANAGED_ADDONS}


def _stack_key(name: str) -> str:
    """The config key of a top-level field: `aws:region` is the provider's, the rest are the project's."""
    return "aws:region" if name == "region" else f"{PROJECT}:{camel(name)}"


def _known_region(region: str) -> str:
    """A region pulumi-aws knows (its Region enum, from the provider's endpoint data)."""
    from pulumi_aws import Region

    known = sorted(r.value for r in Region)
    if region not in known:
        near = difflib.get_close_matches(region, known, n=1)
        raise _rule(("", f"{region!r} is not an AWS region pulumi-aws knows{f'; did you mean {near[0]!r}?' if near else ''}"))
    return region


class StackConfig(_Model):
    model_config = ConfigDict(alias_generator=_stack_key)

    region: Annotated[Matching(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", "is not an AWS region name"),
                      AfterValidator(_known_region)] = Field(
        "ap-northeast-2", description="`aws:region` of the stack; the workshop guide uses ap-northeast-2.")
    cluster: ClusterConfig = Field(ClusterConfig(), description="The EKS control plane.")
    network: NetworkConfig = Field(NetworkConfig(), description="The cluster VPC.")
    node_groups: Mapping[str, NodeGroupConfig] = Field(
        {"default": NodeGroupConfig()},
        description="Managed node groups by name; the map replaces the default wholly.")
    vpc_cni: VpcCniConfig = Field(VpcCniConfig(), description="The vpc-cni managed add-on.")
    addons: Mapping[str, AddonVersion("v1.11.3-eksbuild.2")] = Field(
        DEFAULT_ADDONS,
        description="Other managed add-ons, name -> version or `catalogue` (the catalogue's pin for the cluster "
        "version); the map replaces the default wholly.")
    ide: IdeConfig = Field(IdeConfig(), description="The workshop IDE.")
    readiness_gate: bool = Field(
        True, description="Deploy a probe workload on the default node group, so `pulumi up` fails if pods "
        "can't run.")
    log_encryption: bool = Field(
        True, description="Encrypt the CloudWatch log groups (control plane, flow logs) with a customer KMS key "
        "that only CloudWatch Logs may use, for exactly these groups. On in every stack: 1 USD a month, and the "
        "audit log holds every API request.")
    tags: Mapping[str, str] = Field({}, description="Extra tags on every taggable resource.")
    protect: bool = Field(False, description="Protect stateful resources (cluster, VPC, KMS key) from deletion.")

    @field_validator("node_groups")
    @classmethod
    def _node_group_names(cls, groups: Mapping[str, NodeGroupConfig]) -> Mapping[str, NodeGroupConfig]:
        if not groups:
            raise _rule(("", "{} must define at least one node group (CoreDNS needs nodes)"))
        bad = [(name, f"{name!r} is not a node group name (1-63 letters, digits, '-' or '_')")
               for name in groups if not _NODE_GROUP_NAME.match(name)]
        if bad:
            raise _rule(*bad)
        return groups

    @field_validator("addons")
    @classmethod
    def _known_addons(cls, addons: Mapping[str, str]) -> Mapping[str, str]:
        unknown = [(name, f"unknown add-on (known: {', '.join(MANAGED_ADDONS)}; vpc-cni is vpcCni)")
                   for name in addons if name not in MANAGED_ADDONS]
        if unknown:
            raise _rule(*unknown)
        return addons

    @field_validator("tags")
    @classmethod
    def _tags_allowed(cls, tags: Mapping[str, str]) -> Mapping[str, str]:
        problems = []
        for k, v in tags.items():
            if k.lower().startswith("aws:"):
                problems.append((k, "keys starting with 'aws:' are reserved by AWS"))
            if not 1 <= len(k) <= 128 or len(v) > 256:
                problems.append((k, f"{v!r}: keys are 1-128 and values at most 256 characters"))
        if problems:
            raise _rule(*problems)
        return tags

    @model_validator(mode="after")
    def _across_sections(self) -> StackConfig:
        """Rules that read more than one top-level key; keys here are absolute."""
        p, c, n = f"{PROJECT}:", self.cluster, self.network
        vpc, service = ipaddress.ip_network(n.vpc_cidr), ipaddress.ip_network(c.service_cidr)
        problems = []
        if service.overlaps(vpc):
            problems.append((f"{p}cluster.serviceCidr", f"{c.service_cidr!r} overlaps the VPC {n.vpc_cidr}"))
        for kind, cidrs in (("nodes", c.remote_networks.nodes), ("pods", c.remote_networks.pods)):
            for i, cidr in enumerate(cidrs):
                net, key = ipaddress.ip_network(cidr), f"{p}cluster.remoteNetworks.{kind}[{i}]"
                if net.overlaps(vpc):
                    problems.append((key, f"{cidr!r} overlaps the VPC CIDR {n.vpc_cidr}"))
                if net.overlaps(service):
                    problems.append((key, f"{cidr!r} overlaps the service CIDR {c.service_cidr}"))
        for i, az in enumerate(n.availability_zones):
            if not (az.startswith(self.region) and len(az) == len(self.region) + 1):
                problems.append((f"{p}network.availabilityZones[{i}]", f"{az!r} is not a zone of {self.region}"))
        problems += _capacity_problems(self) + _api_reach_problems(self)
        if len(self.base_tags) > 50:
            problems.append((f"{p}tags", f"{len(self.base_tags)} tags with the workshop's own: AWS allows 50"))
        if problems:
            raise _rule(*problems)
        return self

    @property
    def remote_routes(self) -> tuple[str, ...]:
        """What the private route tables send through cluster.remoteNetworks.vpcGatewayId: the remote node
        and pod networks, and the deployer ranges outside the VPC they don't cover."""
        r = self.cluster.remote_networks
        if not r.vpc_gateway_id:
            return ()
        routed = [*r.nodes, *r.pods]
        vpc = ipaddress.ip_network(self.network.vpc_cidr)
        for cidr in self.cluster.deployer_cidrs:
            net = ipaddress.ip_network(cidr)
            if net.prefixlen and not net.subnet_of(vpc) and not any(net.subnet_of(ipaddress.ip_network(x))
                                                                    for x in routed):
                routed.append(cidr)
        return tuple(routed)

    @property
    def private_api_deployers(self) -> tuple[str, ...]:
        """The deployer ranges the cluster security group must admit on 443: where only the private endpoint
        answers and `up` talks to the API (the readiness gate)."""
        c = self.cluster
        return c.deployer_cidrs if self.readiness_gate and not c.endpoint_public_access else ()

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


def stack_capacity(cfg: StackConfig):
    """The busiest private subnet's capacity at maxSize (workshop.subnets); None without ENI data."""
    vpc = ipaddress.ip_network(cfg.network.vpc_cidr)
    return subnet_capacity(subnet_prefix(vpc, cfg.network.az_count),
                           cfg.network.az_count,
                           {n: g.instance_types for n, g in cfg.node_groups.items()},
                           {n: g.max_size for n, g in cfg.node_groups.items()},
                           cfg.vpc_cni.prefix_delegation)


def _capacity_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Each private subnet must hold its zone's share of every node group at maxSize, and their pods."""
    capacity = stack_capacity(cfg)
    if capacity is None or capacity.fits:
        return []
    mode = "with prefix delegation" if cfg.vpc_cni.prefix_delegation else "without prefix delegation"
    groups = ", ".join(f"nodeGroups.{name}.maxSize {g.max_size}" for name, g in cfg.node_groups.items())
    if cfg.vpc_cni.prefix_delegation:
        need = (f"{capacity.blocks_needed} free aligned /28 blocks (each node's pods {mode}, a warm prefix) "
                f"and {capacity.addresses_needed} addresses; each has {capacity.blocks_free} such blocks")
    else:
        need = f"{capacity.addresses_needed} addresses ({mode}); each has {capacity.addresses_free}"
    return [(f"{PROJECT}:network.vpcCidr",
             f"{cfg.network.vpc_cidr!r} gives /{capacity.prefix_length} private subnets, too small for the nodes "
             f"at maxSize: {groups} put {capacity.nodes} nodes in a zone, needing {need}: widen network.vpcCidr "
             "or lower maxSize")]


def _api_reach_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """Kubernetes resources (the readiness gate) are created from where `pulumi up` runs: the API must
    be reachable from there, through the public endpoint's CIDRs or, with only the private endpoint,
    from inside the VPC or from a range routed back through the remote networks' gateway."""
    c = cfg.cluster
    if not cfg.readiness_gate:
        return []
    if c.endpoint_public_access:
        allowed = [ipaddress.ip_network(x) for x in c.public_access_cidrs]
        where = f"publicAccessCidrs {list(c.public_access_cidrs)}"
    else:
        # The private endpoint answers inside the VPC, and outside it only where its answers are routed
        # back: through the gateway to the remote networks (remote_routes adds each deployer range).
        vpc = ipaddress.ip_network(cfg.network.vpc_cidr)
        gateway = c.remote_networks.vpc_gateway_id
        problems = []
        for cidr in c.deployer_cidrs:
            net = ipaddress.ip_network(cidr)
            if net.subnet_of(vpc):
                continue
            if not net.prefixlen:
                missing = "the private endpoint can't answer the whole internet: list the runners' own ranges"
            elif not gateway:
                missing = (f"it is outside the VPC {cfg.network.vpc_cidr} and nothing routes the private endpoint's "
                           "answers back to it: set cluster.remoteNetworks.vpcGatewayId (the range is then routed "
                           "through it), or run the deployers inside the VPC")
            else:
                continue
            problems.append((f"{PROJECT}:cluster.deployerCidrs", f"{cidr!r}: only the private endpoint is on and "
                                                                 f"the readiness gate talks to the API, but {missing}"))
        return problems
    outside = [cidr for cidr in c.deployer_cidrs if not any(ipaddress.ip_network(cidr).subnet_of(a) for a in allowed)]
    if not outside:
        return []
    return [(f"{PROJECT}:readinessGate",
             f"true, but deployers {outside} (cluster.deployerCidrs) can't reach the Kubernetes API ({where}): "
             "deploy from inside those ranges and list them in deployerCidrs, or set readinessGate false")]


# --------------------------------------------------------------------------------------------
# From pydantic's errors to `<key>: <value> <rule>` lines.
# --------------------------------------------------------------------------------------------


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one `<key>: <value> <rule>` line each.

    A RunError, so the Pulumi CLI prints the message alone, without a traceback.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  " + "\n  ".join(problems))


def _key(loc: Iterable[Any]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _join(key: str, relative: str) -> str:
    if not relative:
        return key
    if not key or relative.startswith(f"{PROJECT}:"):
        return relative
    return key + (relative if relative.startswith("[") else f".{relative}")


def unwrap(tp: Any) -> Any:
    """The type under Annotated/Optional wrappers."""
    while get_origin(tp) in (Annotated, Union):
        tp = get_args(tp)[0]
    return tp


def _known_keys(loc: tuple) -> list[str]:
    """The wire names the model at `loc` accepts."""
    tp: Any = StackConfig
    for part in loc:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if n == part or f.alias == part), None)
            if field is None:
                return []
            tp = field.annotation
        else:  # a tuple item or a map value: the key or index says nothing about the type
            tp = get_args(tp)[-1] if get_origin(tp) is not tuple else get_args(tp)[0]
    tp = unwrap(tp)
    if not isinstance(tp, type):
        return []
    # At the top, the project's own keys as the file's reader thinks of them; aws:region is the provider's.
    prefix = f"{PROJECT}:"
    return sorted(a.removeprefix(prefix) for a in (f.alias or n for n, f in tp.model_fields.items())
                  if tp is not StackConfig or a.startswith(prefix))


_TYPE_NAMES = {"bool_type": "true or false", "int_type": "a whole number", "string_type": "a string",
               "tuple_type": "a list", "list_type": "a list", "dict_type": "a map", "model_type": "a map",
               "mapping_type": "a map", "model_attributes_type": "a map"}


def _messages(error: ValidationError) -> list[str]:
    lines = []
    for e in error.errors(include_url=False):
        key, value, kind = _key(e["loc"]), e.get("input"), e["type"]
        if kind == "rule":
            lines += [f"{_join(key, relative)}: {message}" for relative, message in e["ctx"]["problems"]]
        elif kind == "extra_forbidden":
            lines.append(f"{key}: unknown key (known: {', '.join(_known_keys(e['loc'][:-1]))})")
        elif kind == "literal_error":
            choices = ", ".join(re.findall(r"'([^']*)'", e["ctx"]["expected"]))
            lines.append(f"{key}: {value!r} must be one of {choices}")
        elif kind == "string_type" and isinstance(value, dt.date):
            lines.append(f"{key}: {value.isoformat()} must be a string: quote the date (YAML reads an unquoted "
                         "2026-11-20 as a date)")
        elif kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            # YAML read a number: an unquoted 1.30 arrives as 1.3, so the file's text can't be echoed back.
            lines.append(f"{key}: {value!r} must be a string: quote the value as written in the file (YAML reads "
                         "an unquoted 1.30 as the number 1.3)")
        elif kind in _TYPE_NAMES:
            lines.append(f"{key}: {value!r} must be {_TYPE_NAMES[kind]}")
        else:  # a rule the model states with pydantic's own constraint (none today): its words
            lines.append(f"{key}: {value!r} {e['msg'][:1].lower()}{e['msg'][1:]}")
    return lines


# --------------------------------------------------------------------------------------------
# Versions: every pin checked against the catalogue, and `catalogue` pins filled in from it.
# --------------------------------------------------------------------------------------------


class _Problems(list):
    def add(self, key: str, message: str) -> None:
        self.append(f"{key}: {message}")


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

    vpc_cni = cfg.vpc_cni.model_copy(update={"version": addon_pin(f"{p}vpcCni.version", "vpc-cni",
                                                                   cfg.vpc_cni.version)})
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
        family = g.ami_type.split("_", 1)[0]
        last = versions.AMI_FAMILY_LAST_MINOR.get(family)
        if last is not None and nodes.minor > last:
            problems.add(f"{key}.amiType", f"{g.ami_type!r}: EKS publishes no {family} AMI for Kubernetes {version} "
                                           f"(1.{last} was the last); use AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD")
            groups[name] = g
            continue
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
        groups[name] = g.model_copy(update={"version": version, "release_version": release})

    return cfg.model_copy(update={"vpc_cni": vpc_cni, "addons": addons, "node_groups": groups})


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
    c = cfg.cluster
    if c.remote_networks.nodes and not c.remote_networks.vpc_gateway_id:
        warnings.append(f"{PROJECT}:cluster.remoteNetworks.vpcGatewayId: not set, so nothing routes from the VPC to "
                        f"the remote networks {[*c.remote_networks.nodes, *c.remote_networks.pods]} (as eksctl warns): "
                        "the control plane can't reach hybrid nodes' kubelets and webhooks until routes exist")
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


# Config namespaces a stack file of this project may use: ours and the providers' it runs.
NAMESPACES = (PROJECT, "aws", "kubernetes", "random", "pulumi")


@functools.lru_cache(maxsize=None)
def aws_config_keys() -> tuple[str, ...]:
    """Every setting the pulumi-aws provider reads (`aws:region`, `aws:allowedAccountIds`, …): its SDK's
    config properties, camelCase as in a stack file."""
    from pulumi_aws.config import vars as aws_vars

    return tuple(sorted(camel(name) for name, v in vars(aws_vars._ExportableConfig).items() if isinstance(v, property)))


def _foreign_key_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`aws:regoin` and `eks-workshp:cluster` are typos the CLI passes on silently (the value is then
    ignored and a default used): each is named against the keys the provider and the program know."""
    problems = []
    for key in values:
        namespace, _, name = key.partition(":")
        if namespace == "aws" and name not in aws_config_keys():
            near = difflib.get_close_matches(name, aws_config_keys(), n=1)
            problems.append((key, f"not a setting of the aws provider{f'; did you mean aws:{near[0]}?' if near else ''}"))
        elif namespace not in NAMESPACES and (near := difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.8)):
            problems.append((key, f"unknown namespace {namespace!r}; did you mean {near[0]}:{name}?"))
    return problems


def parse(values: Mapping[str, Any], as_of: dt.date | None = None) -> StackConfig:
    """Build and validate the model from fully-qualified config keys (`aws:region`, `eks-workshop:x`).

    Values are already decoded (objects as dicts). Version pins left at `catalogue` come back resolved
    for the stack's Kubernetes versions; support windows are judged on `as_of` (the plan date).
    Raises ConfigError listing every problem.
    """
    problems = _Problems()
    for key, message in _foreign_key_problems(values):
        problems.add(key, message)
    if "aws:region" not in values:
        problems.add("aws:region", "missing: set it with `pulumi config set aws:region <region>`")
    # Other namespaces (aws:, pulumi:, providers') are not this program's to judge; an empty YAML key is unset.
    ours = {k: v for k, v in values.items()
            if (k.startswith(f"{PROJECT}:") or k == "aws:region") and v is not None}
    try:
        cfg = StackConfig.model_validate(ours, by_alias=True, by_name=False)
    except ValidationError as e:
        problems += _messages(e)
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
