"""Component arguments from the validated stack configuration: the only place the two meet."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi

from components.addons import NEEDS_NODES, ManagedAddonsArgs
from components.cluster import EksClusterArgs, control_plane_log_group_name
from components.hybrid_nodes import HybridNodesArgs
from components.ide import WorkshopIdeArgs
from components.ide.ide import ide_vpc_name
from components.kms import LogEncryptionKeyArgs
from components.network import NetworkArgs
from components.node_group import ManagedNodeGroupArgs
from components.node_role import AUTO_MODE_NODE_POLICIES, NODE_POLICIES, NodeRole
from components.readiness import ReadinessGateArgs
from components.vpc_cni import VpcCniAddonArgs
from components.vpc_parts import flow_log_group_name
from workshop import labs
from workshop.config import ResolvedStackConfig
from workshop.subnets import subnet_layout

KARPENTER_DISCOVERY = "karpenter.sh/discovery"
# The tags eksctl puts on everything it creates for a cluster; the workshop's labs find the cluster's
# subnets and node groups by them (workshop/workshop_labs.json, lookups.byName).
EKSCTL_CLUSTER_TAGS = ("alpha.eksctl.io/cluster-name", "eksctl.cluster.k8s.io/v1alpha1/cluster-name")
# The IDE's resources carry this instead of the workshop tags: the labs look the cluster's VPC and subnets
# up by `created-by` and `env`, and must find the cluster's alone.
IDE_TAG = "workshop-ide"


def _without_discovery(tags: dict[str, str]) -> dict[str, str]:
    """Karpenter launches nodes into subnets and security groups with its discovery tag: network
    resources that nodes must not use don't carry it."""
    return {k: v for k, v in tags.items() if k != KARPENTER_DISCOVERY}


def _eksctl_tagged(cfg: ResolvedStackConfig, tags: dict[str, str]) -> dict[str, str]:
    """The cluster's network, control plane and node groups carry eksctl's cluster tags too."""
    return {**tags, **{key: cfg.cluster.name for key in EKSCTL_CLUSTER_TAGS}}


def ide_tags(cfg: ResolvedStackConfig) -> dict[str, str]:
    """The stack's own tags and the IDE's; not the workshop's `created-by`/`env` (nor Karpenter's)."""
    return {**cfg.tags, IDE_TAG: cfg.cluster.name}


def log_encryption_args(cfg: ResolvedStackConfig) -> LogEncryptionKeyArgs:
    """The key for exactly the log groups this stack creates."""
    groups = [control_plane_log_group_name(cfg.cluster.name)]
    if cfg.network.flow_logs:
        groups.append(flow_log_group_name(cfg.cluster.name))
    if cfg.ide.enabled:
        groups.append(flow_log_group_name(ide_vpc_name(cfg.cluster.name)))
    return LogEncryptionKeyArgs(name=cfg.cluster.name, region=cfg.region, log_group_names=groups,
                                tags=_without_discovery(cfg.base_tags), protect=cfg.protect)


def network_args(cfg: ResolvedStackConfig, log_kms_key_arn: pulumi.Input[str] | None = None) -> NetworkArgs:
    public, private = subnet_layout(cfg.network.vpc_cidr, len(cfg.availability_zones))
    tags = cfg.base_tags
    return NetworkArgs(
        name=cfg.cluster.name,
        vpc_cidr=cfg.network.vpc_cidr,
        availability_zones=cfg.availability_zones,
        public_subnet_cidrs=public,
        private_subnet_cidrs=private,
        nat_gateways=cfg.network.nat_gateways,
        flow_logs=cfg.network.flow_logs,
        flow_log_retention_days=cfg.network.flow_log_retention_days,
        s3_gateway_endpoint=cfg.network.s3_gateway_endpoint,
        region=cfg.region,
        # Karpenter launches nodes into every subnet carrying its discovery tag: only private ones do.
        tags=_eksctl_tagged(cfg, _without_discovery(tags)),
        private_subnet_tags={KARPENTER_DISCOVERY: tags[KARPENTER_DISCOVERY]},
        protect=cfg.protect,
        log_kms_key_arn=log_kms_key_arn,
        remote_gateway_id=cfg.cluster.remote_networks.vpc_gateway_id,
        remote_cidrs=cfg.remote_routes,
    )


def cluster_args(cfg: ResolvedStackConfig, subnet_ids: pulumi.Input[Sequence[str]],
                 log_kms_key_arn: pulumi.Input[str] | None = None,
                 node_role: NodeRole | None = None) -> EksClusterArgs:
    """`node_role`: the role Auto Mode launches nodes with (used by an Auto Mode stack only)."""
    c = cfg.cluster
    auto_role = node_role if c.auto_mode.enabled else None
    return EksClusterArgs(
        name=c.name,
        version=c.version,
        upgrade_support_type=c.upgrade_support_type,
        region=cfg.region,
        subnet_ids=subnet_ids,
        endpoint_private_access=c.endpoint_private_access,
        endpoint_public_access=c.endpoint_public_access,
        public_access_cidrs=c.public_access_cidrs,
        authentication_mode=c.authentication_mode,
        bootstrap_cluster_creator_admin_permissions=c.bootstrap_cluster_creator_admin_permissions,
        log_types=c.log_types,
        manage_log_types=c.manage_log_types,
        log_retention_days=c.log_retention_days,
        service_cidr=c.service_cidr,
        remote_node_cidrs=c.remote_networks.nodes,
        remote_pod_cidrs=c.remote_networks.pods,
        deployer_cidrs=cfg.private_api_deployers,
        deletion_protection=c.deletion_protection,
        zonal_shift=c.zonal_shift,
        admin_principals=c.admin_principals,
        tags=_eksctl_tagged(cfg, cfg.base_tags),
        protect=cfg.protect,
        log_kms_key_arn=log_kms_key_arn,
        auto_mode_node_pools=c.auto_mode.node_pools if c.auto_mode.enabled else (),
        auto_mode_node_role_arn=auto_role.arn if auto_role else None,
        auto_mode_node_role_ready=auto_role.attachments if auto_role else (),
    )


def node_role_policies(cfg: ResolvedStackConfig) -> Sequence[str]:
    """Managed node groups' nodes, or the ones EKS Auto Mode launches."""
    return AUTO_MODE_NODE_POLICIES if cfg.cluster.auto_mode.enabled else NODE_POLICIES


def node_group_args(cfg: ResolvedStackConfig, name: str, cluster_name: pulumi.Input[str],
                    node_role_arn: pulumi.Input[str],
                    subnet_ids: pulumi.Input[Sequence[str]]) -> ManagedNodeGroupArgs:
    g = cfg.node_groups[name]
    return ManagedNodeGroupArgs(
        cluster_name=cluster_name,
        kubernetes_version=g.version,
        node_group_name=name,
        physical_name=None if g.generated_name else name,
        node_role_arn=node_role_arn,
        subnet_ids=subnet_ids,
        instance_types=g.instance_types,
        min_size=g.min_size,
        desired_size=g.desired_size,
        max_size=g.max_size,
        ami_type=g.ami_type,
        release_version=g.release_version,
        max_unavailable_percentage=g.max_unavailable_percentage,
        disk_size=g.disk_size,
        capacity_type=g.capacity_type,
        metadata_hop_limit=g.metadata_hop_limit,
        auto_repair=g.auto_repair,
        labels=g.labels,
        taints=g.taints,
        tags=_eksctl_tagged(cfg, cfg.base_tags),
    )


def vpc_cni_args(cfg: ResolvedStackConfig, cluster_name: pulumi.Input[str], oidc_provider_arn: pulumi.Input[str],
                 oidc_issuer_url: pulumi.Input[str]) -> VpcCniAddonArgs:
    return VpcCniAddonArgs(
        cluster_name=cluster_name,
        settings=cfg.vpc_cni,
        oidc_provider_arn=oidc_provider_arn,
        oidc_issuer_url=oidc_issuer_url,
        tags=cfg.base_tags,
    )


def addons_args(cfg: ResolvedStackConfig, cluster_name: pulumi.Input[str],
                node_groups: Sequence[pulumi.Resource] | None = None) -> ManagedAddonsArgs:
    """Without node groups: the add-ons that need no nodes (kube-proxy must match the control plane),
    created before the nodes (and moved there from `addons`: aliased). With them: the ones that do."""
    configurations = addon_configurations(cfg)
    if node_groups is None:
        return ManagedAddonsArgs(cluster_name=cluster_name, tags=cfg.base_tags, moved_from="addons",
                                 versions={n: v for n, v in cfg.addons.items() if n not in NEEDS_NODES},
                                 configurations=configurations)
    return ManagedAddonsArgs(cluster_name=cluster_name, tags=cfg.base_tags, node_groups=node_groups,
                             versions={n: v for n, v in cfg.addons.items() if n in NEEDS_NODES},
                             configurations=configurations)


def ide_args(cfg: ResolvedStackConfig, cluster_name: pulumi.Input[str], cluster_arn: pulumi.Input[str],
             log_kms_key_arn: pulumi.Input[str] | None = None) -> WorkshopIdeArgs:
    """`cluster_name` is the cluster's output, not the configured string: the IDE's access entry must
    wait for the cluster to exist (offline/ordering.py checks that every such reference does). The
    workshop's scripts and the labs' permissions come from workshop/workshop_labs.json."""
    ide = cfg.ide
    return WorkshopIdeArgs(
        name=cfg.cluster.name,
        region=cfg.region,
        availability_zone=cfg.availability_zones[0],
        cluster_name=cluster_name,
        cluster_arn=cluster_arn,
        # The workshop's own convention (hack/lib/common-env.sh): the Auto Mode cluster is `<name>-auto`.
        cluster_auto_name=f"{cfg.cluster.name}-auto",
        instance_type=ide.instance_type,
        volume_size=ide.volume_size,
        vpc_cidr=ide.vpc_cidr,
        repository_owner=ide.repository_owner,
        repository_name=ide.repository_name,
        repository_ref=ide.repository_ref,
        inbound_cidrs=ide.inbound_cidrs,
        workshop_scripts=[f"{s.user} {s.how} {s.path}" for s in labs.ide_scripts()],
        lab_policies=labs.lab_policy_documents(cfg.cluster.name, cfg.region),
        lab_policy_placeholders={"account": labs.PLACEHOLDERS["account"], "partition": labs.PLACEHOLDERS["partition"]},
        aws_managed_policies=labs.IDE_AWS_MANAGED_POLICIES,
        code_server_version=ide.code_server_version,
        flow_log_retention_days=cfg.network.flow_log_retention_days,
        tags=ide_tags(cfg),
        protect=cfg.protect,
        log_kms_key_arn=log_kms_key_arn,
    )


def hybrid_nodes_args(cfg: ResolvedStackConfig, cluster_name: pulumi.Input[str],
                      cluster_arn: pulumi.Input[str]) -> HybridNodesArgs:
    iam = cfg.cluster.remote_networks.iam
    return HybridNodesArgs(cluster_name=cluster_name, cluster_arn=cluster_arn, region=cfg.region,
                           provider=iam.provider, role_arn=iam.role_arn, ca_bundle=iam.ca_bundle,
                           pod_identity=POD_IDENTITY_AGENT in cfg.addons,
                           tags=_without_discovery(cfg.base_tags))


POD_IDENTITY_AGENT = "eks-pod-identity-agent"
# The agent's second DaemonSet, for hybrid nodes (EKS user guide, "Configure add-ons for hybrid nodes"; add-on
# v1.3.3-eksbuild.1 and later): it reads the node's credentials from the file nodeadm writes.
POD_IDENTITY_ON_HYBRID_NODES = {"daemonsets": {"hybrid": {"create": True}}}


def addon_configurations(cfg: ResolvedStackConfig) -> dict[str, str]:
    """Add-on configuration values: the pod identity agent's hybrid DaemonSet where hybrid nodes join."""
    if cfg.cluster.remote_networks.nodes and POD_IDENTITY_AGENT in cfg.addons:
        return {POD_IDENTITY_AGENT: json.dumps(POD_IDENTITY_ON_HYBRID_NODES, separators=(",", ":"))}
    return {}


# Every node EKS Auto Mode launches carries it.
AUTO_MODE_NODE_LABEL = {"eks.amazonaws.com/compute-type": "auto"}


def readiness_gate_args(cfg: ResolvedStackConfig) -> ReadinessGateArgs:
    """Pinned to the first node group's labels: the workshop's `default` group, `workshop-default=yes`; with
    Auto Mode, to its nodes (the probe's pod makes Auto Mode launch one)."""
    if cfg.cluster.auto_mode.enabled:
        return ReadinessGateArgs(node_selector=AUTO_MODE_NODE_LABEL)
    first = next(iter(cfg.node_groups.values()))
    return ReadinessGateArgs(node_selector=dict(first.labels))
