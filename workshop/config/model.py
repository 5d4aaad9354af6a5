"""The stack configuration model: every key the program reads, with its default, reason and rule.

Defaults are the workshop's values (its eksctl ClusterConfig); they are what `dev` runs. A rule on one value
sits on its field (an annotated type from workshop.config.rules); a rule across fields sits on the
model that holds them (an `after` model validator), and rules across sections run once each
section is valid, so a problem is reported once, not again as its consequences.

This is the model as written in the stack file: version pins may still say `catalogue`.
workshop.config.resolve turns it into a ResolvedStackConfig, the only kind the program builds from.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping
from typing import Annotated, get_args

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from workshop import versions
from workshop.config.rules import (
    CATALOGUE,
    CONTROL_PLANE_LOG_TYPES,
    GIT_REF,
    GITHUB_OWNER,
    GITHUB_REPOSITORY,
    MANAGED_ADDONS,
    NODE_GROUP_NAME,
    RELEASE_VERSION,
    AddonVersion,
    AmiType,
    AuthenticationMode,
    AutoModeNodePool,
    Between,
    CapacityType,
    Cidr,
    ConfigModel,
    HybridCredentials,
    InstanceType,
    LabelKey,
    LogType,
    Matching,
    NatMode,
    NodeInstanceType,
    PodSecurityGroupEnforcingMode,
    RetentionDays,
    Rfc1918Cidr,
    Rule,
    TaintEffect,
    UpgradeSupportType,
    VpcCidr,
    across,
    broken_rule,
    camel,
    cidr_between,
    list_field,
    valid_labels,
)
from workshop.project import PROJECT
from workshop.subnets import architecture, subnet_capacity, subnet_prefix


class HybridNodesIam(ConfigModel):
    provider: HybridCredentials = Field(
        "SSM", description="How on-premises nodes get credentials: SSM (hybrid activations, eksctl's default) or IRA "
        "(IAM Roles Anywhere, with caBundle).")
    role_arn: Annotated[str, Matching(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", "is not an IAM role ARN",
                       allow=("",))] = Field(
        "", description="An existing role for the nodes: then only its HYBRID_LINUX access entry is created.")
    ca_bundle: Annotated[str, Matching(r"^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$",
                        "is not a PEM certificate bundle", allow=("",))] = Field(
        "", description="IRA only: the PEM CA bundle the Roles Anywhere trust anchor trusts.")

    @across
    def _ira_needs_a_bundle(self) -> HybridNodesIam:
        problems = []
        if self.provider == "IRA" and not self.role_arn and not self.ca_bundle:
            problems.append(("caBundle", "'' but provider IRA creates a Roles Anywhere trust anchor, which needs "
                                         "the PEM CA bundle of the certificates the nodes present"))
        if problems:
            raise broken_rule(*problems)
        return self


class RemoteNetworks(ConfigModel):
    nodes: tuple[Rfc1918Cidr, ...] = list_field(
        ("10.52.0.0/16",), "EKS Hybrid Nodes: on-premises node CIDRs (RFC 1918, at most one network entry).")
    pods: tuple[Rfc1918Cidr, ...] = list_field(
        ("10.53.0.0/16",), "EKS Hybrid Nodes: on-premises pod CIDRs (RFC 1918); needs `nodes`.")
    vpc_gateway_id: Annotated[str, Matching(r"^(tgw|vgw)-[0-9a-f]{8,17}$", "is not a transit gateway (tgw-…) or virtual private "
                             "gateway (vgw-…) ID", allow=("",))] = Field(
        "", description="The gateway to the remote networks: a transit gateway (attached to the private subnets) or a "
        "virtual private gateway (attached to the VPC); every private route table then routes each remote CIDR "
        "through it. Empty: nothing routes there (as eksctl warns).")
    iam: HybridNodesIam = Field(HybridNodesIam(), description="The hybrid nodes' identity.")

    @across
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
                net = ipaddress.IPv4Network(cidr)
                problems += [(f"{kind}[{i}]", f"{cidr!r} overlaps {PROJECT}:cluster.remoteNetworks.{key} ({other})")
                             for key, other in seen if net.overlaps(other)]
                seen.append((f"{kind}[{i}]", net))
        if problems:
            raise broken_rule(*problems)
        return self


class AutoModeConfig(ConfigModel):
    enabled: bool = Field(
        False, description="EKS Auto Mode: EKS runs the nodes (its built-in node pools), block storage, load balancing "
        "and the networking add-ons itself; no managed node group and no vpc-cni, kube-proxy, coredns or pod identity "
        "agent add-on here (docs/auto-mode.md).")
    node_pools: tuple[AutoModeNodePool, ...] = list_field(
        ("general-purpose", "system"), "The built-in node pools Auto Mode runs: general-purpose and system.")


class Rollback(ConfigModel):
    from_version: str = Field("", description="The version the cluster runs now and is rolled back from.")
    upgraded_on: str = Field("", description="The date (YYYY-MM-DD) the upgrade to fromVersion completed.")


class ClusterConfig(ConfigModel):
    name: Annotated[str, Matching(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$",
                   "must be 1-100 letters, digits, '-' or '_', starting with a letter or digit")] = Field(
        "eks-workshop", description="EKS cluster name; also the `env` and `karpenter.sh/discovery` tag value.")
    version: str = Field(
        versions.catalogue().default,
        description="Kubernetes minor version of the control plane; moves every version-bound pin left at "
        "`catalogue` (docs/upgrades.md). Default: the catalogue's, the newest version generally "
        "available for three months whose pins are confirmed.")
    upgrade_support_type: UpgradeSupportType = Field(
        "STANDARD",
        description="upgradePolicy.supportType at the end of standard support: STANDARD (EKS upgrades the "
        "control plane) or EXTENDED (EKS keeps the version 12 more months at 6x the control-plane price).")
    auto_mode: AutoModeConfig = Field(AutoModeConfig(), description="EKS Auto Mode (the workshop's fastpath cluster).")
    rollback: Rollback = Field(
        Rollback(),
        description="Allows `version` one minor below what the cluster runs: EKS rolls a control plane back "
        f"within {versions.ROLLBACK_WINDOW_DAYS} days of an in-place upgrade. Empty refuses every downgrade.")
    endpoint_private_access: bool = Field(True, description="Private API endpoint inside the VPC (nodes use it).")
    endpoint_public_access: bool = Field(
        True, description="Public API endpoint (the workshop reaches the cluster over it).")
    public_access_cidrs: tuple[Cidr, ...] = list_field(
        ("0.0.0.0/0",), "CIDRs allowed to reach the public endpoint. The workshop's 0.0.0.0/0 is a dev-only choice.")
    authentication_mode: AuthenticationMode = Field(
        "API", description="API, API_AND_CONFIG_MAP or CONFIG_MAP. API: access entries only (required by hybrid "
        "nodes).")
    bootstrap_cluster_creator_admin_permissions: bool = Field(
        True, description="Give the identity that creates the cluster cluster-admin through an access entry.")
    log_types: tuple[LogType, ...] = list_field(
        CONTROL_PLANE_LOG_TYPES, "Control-plane log types sent to CloudWatch; all five so audits are possible.")
    manage_log_types: bool = Field(
        True, description="true: every `up` sets the control-plane log types to logTypes. false: logTypes are "
        "set when the cluster is created, and a later change made outside Pulumi stays (the workshop's "
        "observability labs switch logging on and off themselves: dev).")
    log_retention_days: RetentionDays = Field(30, description="Retention of the control-plane log group, in days.")
    service_cidr: Annotated[Rfc1918Cidr, cidr_between(12, 24)] = Field(
        "172.20.0.0/16", description="Kubernetes service CIDR; pinned (EKS would pick one) so overlap with remote "
        "networks is checkable.")
    remote_networks: RemoteNetworks = Field(
        RemoteNetworks(), description="EKS Hybrid Nodes remote networks; empty lists turn the feature off.")
    deletion_protection: bool = Field(
        False, description="EKS deletion protection: EKS refuses to delete the cluster until it is turned off "
        "(docs/deploy.md \"Tearing down\"). Beside Pulumi's `protect`, which guards only against Pulumi.")
    zonal_shift: bool = Field(
        False, description="ARC zonal shift (and zonal autoshift) for the cluster: traffic moves away from an "
        "impaired zone. Needs nodes in several zones (every stack has them); EKS Auto Mode doesn't support it.")
    admin_principals: tuple[Annotated[str, Matching(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
                                     "is not an IAM role or user ARN")], ...] = list_field(
        (), "IAM role or user ARNs given cluster-admin through EKS access entries.")
    deployer_cidrs: tuple[Cidr, ...] = list_field(
        ("0.0.0.0/0",), "Egress CIDRs of wherever `pulumi up` runs (CI runners, operators). The program talks to "
        "the Kubernetes API from there (readinessGate): with the gate on they must reach the API. Default: "
        "anywhere, as GitHub-hosted runners are.")

    @across
    def _endpoints_and_access(self) -> ClusterConfig:
        problems = []
        if not (self.endpoint_private_access or self.endpoint_public_access):
            problems.append(("endpointPublicAccess", "false with endpointPrivateAccess false: at least one API "
                                                     "endpoint must be on"))
        if self.endpoint_public_access and not self.public_access_cidrs:
            problems.append(("publicAccessCidrs", "[] with the public endpoint on: list at least one CIDR"))
        if len(set(self.log_types)) != len(self.log_types):
            problems.append(("logTypes", f"{list(self.log_types)} lists a log type twice"))
        if self.zonal_shift and self.auto_mode.enabled:
            problems.append(("zonalShift", "true with autoMode: EKS Auto Mode does not support zonal shift"))
        if self.authentication_mode == "CONFIG_MAP":
            if self.admin_principals:
                problems.append(("authenticationMode", "CONFIG_MAP cannot hold access entries for adminPrincipals: "
                                                       "use API or API_AND_CONFIG_MAP"))
            if self.remote_networks.nodes or self.remote_networks.pods:
                problems.append(("authenticationMode", "CONFIG_MAP is not supported with remoteNetworks: use API "
                                                       "or API_AND_CONFIG_MAP"))
        if problems:
            raise broken_rule(*problems)
        return self


class NetworkConfig(ConfigModel):
    vpc_cidr: VpcCidr = Field("10.42.0.0/16", description="The cluster VPC's IPv4 CIDR.")
    az_count: Annotated[int, Between(2, 6, why="EKS needs subnets in two zones")] = Field(
        3, description="Availability zones used: one public and one private subnet in each.")
    availability_zones: tuple[str, ...] = list_field(
        (), "Explicit zone names; empty means `<region>a`, `<region>b`, ... as eksctl does.")
    nat_gateways: NatMode = Field(
        "single", description="`single` (eksctl's default, cheapest) or `perAz` (survives the loss of one zone).")
    flow_logs: bool = Field(True, description="VPC flow logs to CloudWatch Logs (CIS / CKV2_AWS_11).")
    s3_gateway_endpoint: bool = Field(
        True, description="An S3 gateway endpoint on the private route tables (free): the nodes' S3 traffic, "
        "ECR image layers included, skips the NAT gateway's per-GB charge. Same-region S3 only; bucket policies "
        "then see the endpoint (aws:sourceVpce), not the NAT address.")
    flow_log_retention_days: RetentionDays = Field(30, description="Retention of the flow-log group, in days.")

    @across
    def _zones_fit(self) -> NetworkConfig:
        problems = []
        if self.availability_zones and len(self.availability_zones) != self.az_count:
            problems.append(("availabilityZones", f"{list(self.availability_zones)} lists "
                                                  f"{len(self.availability_zones)} zones but azCount is {self.az_count}"))
        prefix = subnet_prefix(ipaddress.IPv4Network(self.vpc_cidr), self.az_count)
        if prefix > 28:
            problems.append(("vpcCidr", f"{self.vpc_cidr!r} is too small for {2 * self.az_count} subnets "
                                        f"(would need /{prefix}; AWS subnets are /28 at the smallest)"))
        if problems:
            raise broken_rule(*problems)
        return self


class Taint(ConfigModel):
    key: Annotated[str, Matching(LabelKey, "is not a valid taint key")] = Field("", description="Taint key.")
    value: str = Field("", description="Taint value (may be empty).")
    effect: TaintEffect = Field("NO_SCHEDULE", description="NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE.")


class NodeGroupConfig(ConfigModel):
    instance_types: Annotated[tuple[NodeInstanceType, ...], Rule(
        bool, lambda v: "[] must list at least one instance type")] = list_field(
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
    release_version: Annotated[str, Matching(RELEASE_VERSION.pattern, "is not an AMI release like 1.35.6-20260625 or 'catalogue'",
                              allow=(CATALOGUE,))] = Field(
        CATALOGUE, description="EKS-optimized AMI release `<k8s>.<patch>-<yyyymmdd>`; `catalogue`: the catalogue's "
        "pin for the node group's version and amiType, one release behind the newest (the upgrade lab rolls it).")
    max_unavailable_percentage: Annotated[int, Between(1, 100)] = Field(
        50, description="Share of nodes replaced at once during a rolling update.")
    labels: Annotated[Mapping[str, str], AfterValidator(valid_labels)] = Field(
        {"workshop-default": "yes"}, description="Kubernetes node labels.")
    taints: tuple[Taint, ...] = list_field((), "Kubernetes node taints.")
    disk_size: Annotated[int, Between(20, 16384, "GiB")] = Field(
        80, description="Root volume size in GiB (gp3, encrypted); eksctl's default is 80.")
    capacity_type: CapacityType = Field("ON_DEMAND", description=f"{' or '.join(get_args(CapacityType))}; only "
                                        "ON_DEMAND is priced by the estimate.")
    generated_name: bool = Field(
        False, description="false: the EKS node group is named after its key (the workshop's `default`), and a "
        "change that replaces it (instance types, AMI type, disk) deletes it first: every node goes before the new "
        "group has any. true: Pulumi names it `nodes-<key>-<random>` and a replacement creates the new group "
        "before deleting the old one.")
    auto_repair: bool = Field(
        False, description="EKS node auto repair (nodeRepairConfig): EKS replaces or reboots nodes that report "
        "unhealthy. Off by default, as in the workshop's eksctl config; on in staging and prod.")
    metadata_hop_limit: Annotated[int, Between(1, 64, why="EC2's range")] = Field(
        1, description="IMDSv2 response hop limit. 1: pods on the pod network can't reach instance metadata (the "
        "node role's credentials); every add-on here that uses it runs on the host network (docs/security.md \"Instance "
        "metadata\"). 2 lets pods reach it.")

    @across
    def _architecture_matches(self) -> NodeGroupConfig:
        wanted = "arm64" if "ARM_64" in self.ami_type else "x86_64"
        wrong = [t for t in self.instance_types if architecture(t) != wanted]
        if wrong:
            raise broken_rule(("amiType", f"{self.ami_type!r} boots {wanted} but {wrong} "
                                    f"{'is' if len(wrong) == 1 else 'are'} {architecture(wrong[0])} (instanceTypes)"))
        return self

    @across
    def _sizes_in_order(self) -> NodeGroupConfig:
        problems = [("", rule) for broken, rule in (
            (self.max_size < 1, f"maxSize {self.max_size} < 1"),
            (self.min_size < 0, f"minSize {self.min_size} < 0"),
            (self.min_size > self.desired_size, f"minSize {self.min_size} > desiredSize {self.desired_size}"),
            (self.desired_size > self.max_size, f"desiredSize {self.desired_size} > maxSize {self.max_size}"),
        ) if broken]
        if problems:
            raise broken_rule(*problems)
        return self



class VpcCniConfig(ConfigModel):
    version: Annotated[str, AddonVersion("v1.19.2-eksbuild.1")] = Field(
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


class IdeConfig(ConfigModel):
    enabled: bool = Field(True, description="Create the workshop IDE (code-server behind CloudFront).")
    instance_type: Annotated[str, InstanceType("t3.medium")] = Field("t3.medium", description="EC2 instance type of the IDE.")
    volume_size: Annotated[int, Between(8, 16384, "GiB")] = Field(30, description="Encrypted gp3 root volume of the IDE, in GiB.")
    vpc_cidr: VpcCidr = Field(
        "10.0.0.0/24", description="The IDE's own small VPC (one public subnet), apart from the cluster's.")
    repository_owner: Annotated[str, GITHUB_OWNER] = Field(
        "aws-samples", description="GitHub owner of the workshop repository whose scripts prepare the IDE.")
    repository_name: Annotated[str, GITHUB_REPOSITORY] = Field(
        "eks-workshop-v2", description="GitHub repository of the workshop.")
    repository_ref: Annotated[str, GIT_REF] = Field(
        "stable", description="Branch or tag of the workshop the IDE runs its scripts from and clones; the guide "
        "deploys `stable`.")
    inbound_cidrs: tuple[Cidr, ...] = list_field(
        ("0.0.0.0/0",), "BASE_INBOUND_CIDRS of the workshop's scripts: what the labs' load balancers admit, besides "
        "the IDE's own address. The workshop's template defaults to 0.0.0.0/0 so participants' browsers reach "
        "the sample application.")
    code_server_version: Annotated[str, Matching(r"^\d+\.\d+\.\d+$", "is not a release like 4.96.4")] = Field(
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
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise broken_rule(("", f"{region!r} is not an AWS region pulumi-aws knows{hint}"))
    return region


class StackConfig(ConfigModel):
    model_config = ConfigDict(alias_generator=_stack_key)

    region: Annotated[str, Matching(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", "is not an AWS region name"),
                      AfterValidator(_known_region)] = Field(
        "ap-northeast-2", description="`aws:region` of the stack; the workshop guide uses ap-northeast-2.")
    cluster: ClusterConfig = Field(ClusterConfig(), description="The EKS control plane.")
    network: NetworkConfig = Field(NetworkConfig(), description="The cluster VPC.")
    node_groups: Mapping[str, NodeGroupConfig] = Field(
        {"default": NodeGroupConfig()},
        description="Managed node groups by name; the map replaces the default wholly.")
    vpc_cni: VpcCniConfig = Field(VpcCniConfig(), description="The vpc-cni managed add-on.")
    addons: Mapping[str, Annotated[str, AddonVersion("v1.11.3-eksbuild.2")]] = Field(
        DEFAULT_ADDONS,
        description="Other managed add-ons, name -> version or `catalogue` (the catalogue's pin for the cluster "
        "version); the map replaces the default wholly.")
    node_role_name_prefix: Annotated[str, Matching(r"^[\w+=,.@-]{1,38}$", "is not an IAM role name prefix (1-38 "
                                                   "letters, digits or +=,.@_-)", allow=("",))] = Field(
        "", description="The start of the node role's name; empty: Pulumi names it `node-role-<random>`. The "
        "workshop's access-management lab finds the node role by `NodeInstanceRole` in its name, as eksctl names "
        "it (dev). Changing it replaces the role and so every node group.")
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
        bad = [(name, f"{name!r} is not a node group name (1-63 letters, digits, '-' or '_')")
               for name in groups if not NODE_GROUP_NAME.match(name)]
        if bad:
            raise broken_rule(*bad)
        return groups

    @field_validator("addons")
    @classmethod
    def _known_addons(cls, addons: Mapping[str, str]) -> Mapping[str, str]:
        unknown = [(name, f"unknown add-on (known: {', '.join(MANAGED_ADDONS)}; vpc-cni is vpcCni)")
                   for name in addons if name not in MANAGED_ADDONS]
        if unknown:
            raise broken_rule(*unknown)
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
            raise broken_rule(*problems)
        return tags

    # Rules that read more than one top-level key; keys here are absolute. One rule per concern, so a key
    # that broke its own rule skips only the rules that read it.
    @across
    def _cidrs_apart(self) -> None:
        p, c, n = f"{PROJECT}:", self.cluster, self.network
        vpc, service = ipaddress.IPv4Network(n.vpc_cidr), ipaddress.IPv4Network(c.service_cidr)
        problems = []
        if service.overlaps(vpc):
            problems.append((f"{p}cluster.serviceCidr", f"{c.service_cidr!r} overlaps the VPC {n.vpc_cidr}"))
        for kind, cidrs in (("nodes", c.remote_networks.nodes), ("pods", c.remote_networks.pods)):
            for i, cidr in enumerate(cidrs):
                net, key = ipaddress.IPv4Network(cidr), f"{p}cluster.remoteNetworks.{kind}[{i}]"
                if net.overlaps(vpc):
                    problems.append((key, f"{cidr!r} overlaps the VPC CIDR {n.vpc_cidr}"))
                if net.overlaps(service):
                    problems.append((key, f"{cidr!r} overlaps the service CIDR {c.service_cidr}"))
        if problems:
            raise broken_rule(*problems)

    @across
    def _zones_in_region(self) -> None:
        bad = [(f"{PROJECT}:network.availabilityZones[{i}]", f"{az!r} is not a zone of {self.region}")
               for i, az in enumerate(self.network.availability_zones)
               if not (az.startswith(self.region) and len(az) == len(self.region) + 1)]
        if bad:
            raise broken_rule(*bad)

    @across
    def _compute(self) -> None:
        if self.cluster.auto_mode.enabled:
            problems = _auto_mode_problems(self)
        elif not self.node_groups:
            problems = [(f"{PROJECT}:nodeGroups", "{} must define at least one node group (CoreDNS needs nodes), "
                                                  "or turn on cluster.autoMode")]
        else:
            problems = []
        if problems:
            raise broken_rule(*problems)

    @across
    def _capacity(self) -> None:
        if problems := _capacity_problems(self):
            raise broken_rule(*problems)

    @across
    def _api_reach(self) -> None:
        if problems := _api_reach_problems(self):
            raise broken_rule(*problems)

    @across
    def _ide_role_name_fits(self) -> None:
        name = ide_role_name(self.cluster.name)
        if self.ide.enabled and len(name) > 64:
            raise broken_rule((f"{PROJECT}:cluster.name", f"{self.cluster.name!r} is too long for the IDE role's "
                                                          f"name '{name}' (IAM: 64 characters)"))

    @across
    def _tags_fit(self) -> None:
        if len(self.base_tags) > 50:
            raise broken_rule((f"{PROJECT}:tags", f"{len(self.base_tags)} tags with the workshop's own: AWS allows 50"))

    @property
    def remote_routes(self) -> tuple[str, ...]:
        """What the private route tables send through cluster.remoteNetworks.vpcGatewayId: the remote node
        and pod networks, and the deployer ranges outside the VPC they don't cover."""
        r = self.cluster.remote_networks
        if not r.vpc_gateway_id:
            return ()
        routed = [*r.nodes, *r.pods]
        vpc = ipaddress.IPv4Network(self.network.vpc_cidr)
        for cidr in self.cluster.deployer_cidrs:
            net = ipaddress.IPv4Network(cidr)
            if net.prefixlen and not net.subnet_of(vpc) and not any(net.subnet_of(ipaddress.IPv4Network(x))
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


# The add-ons EKS Auto Mode runs itself (EKS user guide, "Amazon EKS add-ons": redundant with Auto Mode): as
# EKS add-ons they would run twice. Hybrid nodes are not Auto Mode's: they still need kube-proxy and CoreDNS.
AUTO_MODE_RUNS_ITSELF = ("vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent")
HYBRID_NODES_NEED = ("kube-proxy", "coredns")


def ide_role_name(cluster: str) -> str:
    """The IDE role's name, `<cluster>-ide-role`, as the workshop names it (its scripts' IDE_ROLE_NAME)."""
    return f"{cluster}-ide-role"


def auto_mode_runs_itself(cfg: StackConfig) -> frozenset[str]:
    """The add-ons a stack with Auto Mode leaves to it: all of AUTO_MODE_RUNS_ITSELF, but for hybrid nodes'."""
    if not cfg.cluster.auto_mode.enabled:
        return frozenset()
    hybrid = HYBRID_NODES_NEED if cfg.cluster.remote_networks.nodes else ()
    return frozenset(AUTO_MODE_RUNS_ITSELF) - set(hybrid)


def _auto_mode_problems(cfg: StackConfig) -> list[tuple[str, str]]:
    """What Auto Mode doesn't allow, or this program's Auto Mode shape doesn't plan."""
    p, c = f"{PROJECT}:", cfg.cluster
    problems = []
    if not c.auto_mode.node_pools:
        problems.append((f"{p}cluster.autoMode.nodePools", "[] leaves Auto Mode no node pool to run pods on (this "
                                                            "program creates no NodePool of its own)"))
    if len(set(c.auto_mode.node_pools)) != len(c.auto_mode.node_pools):
        problems.append((f"{p}cluster.autoMode.nodePools", f"{list(c.auto_mode.node_pools)} lists a pool twice"))
    if cfg.node_groups:
        problems.append((f"{p}nodeGroups", f"{sorted(cfg.node_groups)} with cluster.autoMode on: Auto Mode launches "
                                            "the nodes; set nodeGroups to {} (this program plans no managed node "
                                            "group beside Auto Mode)"))
    changed = sorted(camel(f) for f, v in cfg.vpc_cni.model_dump(exclude={"version"}).items()
                     if v != VpcCniConfig.model_fields[f].default)
    if changed:
        problems.append((f"{p}vpcCni", f"{changed} changed with cluster.autoMode on: Auto Mode runs its own pod "
                                       "networking and would ignore the vpc-cni add-on's configuration; remove them"))
    if "addons" in cfg.model_fields_set:
        its_own = auto_mode_runs_itself(cfg)
        problems += [(f"{p}addons.{name}", f"{name!r} with cluster.autoMode on: Auto Mode runs it itself")
                     for name in cfg.addons if name in its_own]
    if c.authentication_mode == "CONFIG_MAP":
        problems.append((f"{p}cluster.authenticationMode", "CONFIG_MAP with cluster.autoMode on: Auto Mode's nodes "
                                                           "join through an access entry; use API or "
                                                           "API_AND_CONFIG_MAP"))
    return problems


def stack_capacity(cfg: StackConfig):
    """The busiest private subnet's capacity at maxSize (workshop.subnets); None without ENI data, or without
    node groups (Auto Mode sizes its nodes and their pod addressing itself)."""
    if not cfg.node_groups:
        return None
    vpc = ipaddress.IPv4Network(cfg.network.vpc_cidr)
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
        allowed = [ipaddress.IPv4Network(x) for x in c.public_access_cidrs]
        where = f"publicAccessCidrs {list(c.public_access_cidrs)}"
    else:
        # The private endpoint answers inside the VPC, and outside it only where its answers are routed
        # back: through the gateway to the remote networks (remote_routes adds each deployer range).
        vpc = ipaddress.IPv4Network(cfg.network.vpc_cidr)
        gateway = c.remote_networks.vpc_gateway_id
        problems = []
        for cidr in c.deployer_cidrs:
            net = ipaddress.IPv4Network(cidr)
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
    outside = [cidr for cidr in c.deployer_cidrs if not any(ipaddress.IPv4Network(cidr).subnet_of(a) for a in allowed)]
    if not outside:
        return []
    return [(f"{PROJECT}:readinessGate",
             f"true, but deployers {outside} (cluster.deployerCidrs) can't reach the Kubernetes API ({where}): "
             "deploy from inside those ranges and list them in deployerCidrs, or set readinessGate false")]


# --------------------------------------------------------------------------------------------
# From pydantic's errors to `<key>: <value> <rule>` lines.
# --------------------------------------------------------------------------------------------
