"""eks-workshop: the Amazon EKS workshop environment, one Pulumi stack per environment.

network -> cluster (+ OIDC) -> vpc-cni (IRSA), kube-proxy -> node groups -> add-ons that need nodes

The same order is the upgrade order of one `pulumi up` that changes cluster.version: the control
plane, then the add-ons that must match it, then the node groups roll, then the rest.
"""

import pulumi

import wiring
from components.addons import ManagedAddons
from components.cluster import EksCluster
from components.hybrid_nodes import HybridNodes
from components.ide import WorkshopIde
from components.kms import LogEncryptionKey
from components.network import Network
from components.node_group import ManagedNodeGroup
from components.node_role import NodeRole
from components.readiness import ReadinessGate
from components.vpc_cni import VpcCniAddon
from workshop import config, upgrade_guard, zones

cfg = config.from_pulumi()  # validates everything before any resource exists
upgrade_guard.check(cfg)  # refuses what EKS would reject given what runs now, before anything changes
cfg = zones.resolve(cfg)  # the zones AWS offers this account, the workshop's a/b/c first

# Before any log group: CloudWatch Logs encrypts each one with it from its first event.
log_key = LogEncryptionKey("log-key", wiring.log_encryption_args(cfg)).arn if cfg.log_encryption else None
network = Network("network", wiring.network_args(cfg, log_key))
# The nodes' role: managed node groups', or the one EKS Auto Mode launches nodes with (the cluster names it).
node_role = NodeRole("node-role", cfg.base_tags, cfg.node_role_name_prefix, wiring.node_role_policies(cfg))
cluster = EksCluster("cluster", wiring.cluster_args(cfg, network.private_subnet_ids, log_key, node_role))

# kube-proxy must match the control plane, and DaemonSets need no nodes: before the node groups. (With Auto
# Mode only where hybrid nodes need kube-proxy: Auto Mode runs its own.)
pre_node_addons = wiring.addons_args(cfg, cluster.name)
cluster_addons = (ManagedAddons("cluster-addons", pre_node_addons)
                  if pre_node_addons.versions or not cfg.cluster.auto_mode.enabled else None)

node_groups: list[ManagedNodeGroup] = []
if not cfg.cluster.auto_mode.enabled:  # Auto Mode runs the CNI and the nodes itself
    # Before any node boots, so nodes join with prefix delegation and pod ENIs already configured.
    vpc_cni = VpcCniAddon("vpc-cni", wiring.vpc_cni_args(cfg, cluster.name, cluster.oidc_provider_arn,
                                                        cluster.oidc_issuer_url))
    node_groups = [
        ManagedNodeGroup(
            f"nodes-{name}",
            wiring.node_group_args(cfg, name, cluster.name, node_role.arn, network.private_subnet_ids),
            opts=pulumi.ResourceOptions(depends_on=[vpc_cni, *filter(None, [cluster_addons]), *node_role.attachments]),
        )
        for name in cfg.node_groups
    ]

addons = ManagedAddons("addons", wiring.addons_args(cfg, cluster.name, node_groups))

if cfg.readiness_gate:
    ReadinessGate("readiness", wiring.readiness_gate_args(cfg), opts=pulumi.ResourceOptions(
        providers=[cluster.k8s_provider], depends_on=[*node_groups, addons]))

# On-premises machines join with this role (an SSM activation or a Roles Anywhere certificate for it).
if cfg.cluster.remote_networks.nodes:
    hybrid = HybridNodes("hybrid-nodes", wiring.hybrid_nodes_args(cfg, cluster.name, cluster.arn))

if cfg.ide.enabled:
    ide = WorkshopIde("ide", wiring.ide_args(cfg, cluster.name, cluster.arn, log_key))

# The stack's public contract (docs/outputs.md); names and types are stable.
pulumi.export("region", cfg.region)
pulumi.export("clusterName", cluster.name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("clusterArn", cluster.arn)
pulumi.export("clusterVersion", cluster.version)
pulumi.export("clusterSecurityGroupId", cluster.security_group_id)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("oidcIssuerUrl", cluster.oidc_issuer_url)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("nodeGroupNames", pulumi.Output.all(*[g.name for g in node_groups]))
pulumi.export("nodeRoleArn", node_role.arn)
if cfg.cluster.remote_networks.nodes:  # only where hybrid nodes can join
    pulumi.export("hybridNodesRoleArn", hybrid.role_arn)
    if hybrid.trust_anchor_arn is not None:  # IAM Roles Anywhere: nodeadm's config names both
        pulumi.export("hybridNodesTrustAnchorArn", hybrid.trust_anchor_arn)
        pulumi.export("hybridNodesProfileArn", hybrid.profile_arn)
if cfg.ide.enabled:  # part of the contract only where the IDE exists
    pulumi.export("ideUrl", ide.url)
    pulumi.export("idePasswordSecret", ide.password_secret_console_url)
    pulumi.export("idePasswordSecretName", ide.password_secret_name)
    pulumi.export("ideRoleArn", ide.role_arn)
