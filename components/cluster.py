"""The EKS control plane: IAM, secrets encryption, logging, hybrid networks, OIDC, access, kubeconfig."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import attach_managed_policies, cluster_admin_access, service_trust_policy
from components.kms import USE_ACTIONS, account_key_policy
from components.logs import retained_log_group

# Required for security groups for pods (vpc-cni ENABLE_POD_ENI): EKS manages trunk/branch ENIs with it.
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController")
# EKS Auto Mode runs compute, block storage, load balancing and networking as the cluster role (EKS user
# guide, "Amazon EKS Auto Mode cluster IAM role").
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")


@dataclass(frozen=True)
class EksClusterArgs:
    """The control plane. No field has a default the stack config also has: wiring passes the config's
    value for each (workshop/config/model.py holds the defaults and their reasons).

    Attributes:
        name: `cluster.name`, the EKS cluster's name.
        version: `cluster.version`, the Kubernetes minor of the control plane.
        upgrade_support_type: `cluster.upgradeSupportType`: at the end of standard support STANDARD
            upgrades the control plane, EXTENDED bills extended support.
        region: `aws:region`, for the kubeconfig's `aws eks get-token`.
        subnet_ids: the Network's private subnets, where the control plane's ENIs go.
        endpoint_private_access: `cluster.endpointPrivateAccess`.
        endpoint_public_access: `cluster.endpointPublicAccess`.
        public_access_cidrs: `cluster.publicAccessCidrs`, sent only with the public endpoint on.
        authentication_mode: `cluster.authenticationMode`.
        bootstrap_cluster_creator_admin_permissions: `cluster.bootstrapClusterCreatorAdminPermissions`.
        log_types: `cluster.logTypes`, the control-plane logs sent to CloudWatch.
        manage_log_types: `cluster.manageLogTypes`: false sets log_types at create only (ignoreChanges),
            so a change made outside Pulumi (the workshop's labs toggle logging) is not reverted.
        log_retention_days: `cluster.logRetentionDays`, of the control-plane log group.
        service_cidr: `cluster.serviceCidr`.
        remote_node_cidrs: `cluster.remoteNetworks.nodes`; empty: no remote network config.
        remote_pod_cidrs: `cluster.remoteNetworks.pods`.
        admin_principals: `cluster.adminPrincipals`, each given cluster-admin by an access entry.
        deployer_cidrs: the `cluster.deployerCidrs` admitted on 443, where only the private endpoint
            answers and `up` talks to the API (readinessGate).
        deletion_protection: `cluster.deletionProtection`: EKS refuses to delete the cluster.
        zonal_shift: `cluster.zonalShift`: ARC zonal shift and autoshift for the cluster.
        auto_mode_node_pools: `cluster.autoMode.nodePools` where `cluster.autoMode.enabled`: EKS Auto Mode
            with these built-in node pools (compute, block storage and load balancing on, no self-managed
            add-ons). Default: none, a standard cluster.
        auto_mode_node_role_arn: the role Auto Mode launches nodes with; required with auto_mode_node_pools.
        auto_mode_node_role_ready: what that role needs before Auto Mode launches a node (its policy
            attachments): the cluster waits for them. Default: none.
        tags: the workshop tags plus `eks-workshop:tags`.
        protect: `eks-workshop:protect`: the cluster, its key and its log group refuse deletion.
            Default: false.
        log_kms_key_arn: the key of `eks-workshop:logEncryption` for the log group. Default: none.
    """

    name: str
    version: str
    upgrade_support_type: str
    region: str
    subnet_ids: pulumi.Input[Sequence[str]]
    endpoint_private_access: bool
    endpoint_public_access: bool
    public_access_cidrs: Sequence[str]
    authentication_mode: str
    bootstrap_cluster_creator_admin_permissions: bool
    log_types: Sequence[str]
    manage_log_types: bool
    log_retention_days: int
    service_cidr: str
    remote_node_cidrs: Sequence[str]
    remote_pod_cidrs: Sequence[str]
    admin_principals: Sequence[str]
    deployer_cidrs: Sequence[str]
    deletion_protection: bool
    zonal_shift: bool
    tags: Mapping[str, str]
    protect: bool = False
    log_kms_key_arn: pulumi.Input[str] | None = None
    auto_mode_node_pools: Sequence[str] = ()
    auto_mode_node_role_arn: pulumi.Input[str] | None = None
    auto_mode_node_role_ready: Sequence[pulumi.Resource] = ()


class EksCluster(pulumi.ComponentResource):
    """The EKS control plane (`eks-workshop:cluster:EksCluster`): its IAM role, a KMS key for secrets
    envelope encryption, the control-plane log group (kept on destroy), the cluster (with EKS deletion
    protection and zonal shift as asked), API access on the cluster security group for remote networks
    and deployers and DNS from remote networks, the Karpenter discovery tag on that
    group, the IAM OIDC provider, admin access entries, a kubeconfig (secret) and a Kubernetes
    provider for it. Outputs: `name`, `arn`, `endpoint`, `version`, `security_group_id`,
    `oidc_provider_arn`, `oidc_issuer_url`, `kubeconfig`, `k8s_provider`."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:cluster:EksCluster", name, None, opts)
        self._name, self._args = name, args

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=pulumi.Output.all(aws.get_partition_output().partition,
                                                 aws.get_caller_identity_output().account_id).apply(
                lambda a: cluster_role_trust(a[0], args.region, a[1], args.name)),
            tags=args.tags,
            opts=self._child(),
        )
        if args.auto_mode_node_pools and args.auto_mode_node_role_arn is None:
            raise ValueError("EksClusterArgs.auto_mode_node_pools needs auto_mode_node_role_arn")
        policies = (*CLUSTER_POLICIES, *(AUTO_MODE_CLUSTER_POLICIES if args.auto_mode_node_pools else ()))
        role_policies = attach_managed_policies(role, f"{name}-role", policies, self)
        self.secrets_key = self._secrets_key(role)
        # Created before the cluster so EKS writes into a group with a retention, not one it makes forever;
        # kept on destroy and adopted on rebuild (components/logs.py): EKS keeps writing into it while the
        # cluster is deleted and re-creates it if it is gone.
        log_group = retained_log_group(f"{name}-logs", control_plane_log_group_name(args.name),
                                       args.log_retention_days, args.log_kms_key_arn, args.tags, self,
                                       protect=args.protect)
        self.cluster = self._cluster(role, depends_on=[*role_policies, log_group, *args.auto_mode_node_role_ready])
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self._api_access_from_outside_the_vpc()
        self._dns_from_remote_networks()
        self._karpenter_discovery_tag()
        # EKS gives every cluster one OIDC identity.
        self.oidc_issuer_url = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)  # type: ignore[index]
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=args.tags,
            opts=self._child(),
        )
        for i, principal in enumerate(args.admin_principals):
            cluster_admin_access(f"{name}-admin-{i}", self.cluster.name, principal, args.tags, self)
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data,
        ).apply(lambda a: render_kubeconfig(a[0], a[1], a[2], args.region)))
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=self._child(),
        )

        self.name = self.cluster.name
        self.arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.version = self.cluster.version
        self.oidc_provider_arn = self.oidc_provider.arn
        self.register_outputs({
            "clusterName": self.cluster.name,
            "clusterEndpoint": self.cluster.endpoint,
            "clusterArn": self.cluster.arn,
            "clusterVersion": self.cluster.version,
            "clusterSecurityGroupId": self.security_group_id,
            "oidcProviderArn": self.oidc_provider.arn,
            "oidcIssuerUrl": self.oidc_issuer_url,
            "kubeconfig": self.kubeconfig,
        })

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _secrets_key(self, role: aws.iam.Role) -> aws.kms.Key:
        """EKS uses the key as the cluster role: that role may use it (and let EKS's own grants do the
        same), the account administers it, nothing else."""
        def secrets_key_users(role_arn: str) -> list[dict]:
            return [{
                "Sid": "ClusterRoleUsesIt", "Effect": "Allow", "Principal": {"AWS": role_arn},
                "Action": [*USE_ACTIONS, "kms:CreateGrant", "kms:ListGrants"], "Resource": "*",
            }]

        key = aws.kms.Key(
            f"{self._name}-secrets",
            description=f"EKS secrets envelope encryption for {self._args.name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account_key_policy(lambda account, partition: role.arn.apply(secrets_key_users)),
            tags=self._args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protect),
        )
        aws.kms.Alias(f"{self._name}-secrets", name=f"alias/{self._args.name}-eks-secrets",
                      target_key_id=key.key_id, opts=self._child())
        return key

    def _cluster(self, role: aws.iam.Role, depends_on: list[pulumi.Resource]) -> aws.eks.Cluster:
        args = self._args
        auto = bool(args.auto_mode_node_pools)
        remote = None
        if args.remote_node_cidrs:
            remote = aws.eks.ClusterRemoteNetworkConfigArgs(
                remote_node_networks=aws.eks.ClusterRemoteNetworkConfigRemoteNodeNetworksArgs(
                    cidrs=list(args.remote_node_cidrs)),
                remote_pod_networks=aws.eks.ClusterRemoteNetworkConfigRemotePodNetworksArgs(
                    cidrs=list(args.remote_pod_cidrs)) if args.remote_pod_cidrs else None,
            )
        return aws.eks.Cluster(
            f"{self._name}",
            name=args.name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=args.endpoint_private_access,
                endpoint_public_access=args.endpoint_public_access,
                public_access_cidrs=list(args.public_access_cidrs) if args.endpoint_public_access else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode=args.authentication_mode,
                bootstrap_cluster_creator_admin_permissions=args.bootstrap_cluster_creator_admin_permissions,
            ),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=args.service_cidr,
                elastic_load_balancing=aws.eks.ClusterKubernetesNetworkConfigElasticLoadBalancingArgs(
                    enabled=True) if auto else None),
            # Auto Mode: EKS runs the nodes, their storage and load balancers, and installs no add-ons of its
            # own choosing (they would compete with what Auto Mode runs).
            compute_config=aws.eks.ClusterComputeConfigArgs(
                enabled=True, node_pools=list(args.auto_mode_node_pools),
                node_role_arn=args.auto_mode_node_role_arn) if auto else None,
            storage_config=aws.eks.ClusterStorageConfigArgs(
                block_storage=aws.eks.ClusterStorageConfigBlockStorageArgs(enabled=True)) if auto else None,
            bootstrap_self_managed_addons=False if auto else None,
            remote_network_config=remote,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(args.log_types),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.upgrade_support_type),
            deletion_protection=args.deletion_protection,
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=True) if args.zonal_shift else None,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=depends_on,
                ignore_changes=[] if args.manage_log_types else ["enabledClusterLogTypes"]),
        )

    def _api_access_from_outside_the_vpc(self) -> None:
        """Hybrid nodes and their pods, and the deployers of a private-only cluster, reach the API server
        through the cluster security group: 443 from each of their ranges."""
        args = self._args
        deployers = [c for c in args.deployer_cidrs if c not in (*args.remote_node_cidrs, *args.remote_pod_cidrs)]
        for kind, cidrs, who in (("remote-nodes", args.remote_node_cidrs, "hybrid nodes"),
                                 ("remote-pods", args.remote_pod_cidrs, "hybrid pods"),
                                 ("deployers", deployers, "deployers (cluster.deployerCidrs)")):
            for i, cidr in enumerate(cidrs):
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-{kind}-{i}-https",
                    security_group_id=self.security_group_id,
                    description=f"Kubernetes API from {who} {cidr}",
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_ipv4=cidr,
                    tags=args.tags,
                    opts=self._child(),
                )

    def _dns_from_remote_networks(self) -> None:
        """Pods on hybrid nodes resolve names through CoreDNS, whose replicas run on the cloud nodes (their
        pods' addresses carry the cluster security group, as the managed nodes do): DNS (TCP and UDP 53)
        from every remote pod and node CIDR. The EKS guide's on-premises firewall table asks for it
        ("If you run at least 1 replica of CoreDNS in the cloud, you must allow DNS traffic to the VPC");
        the kube-dns Service spreads queries over every replica, so it holds with replicas on hybrid
        nodes too (docs/hybrid-nodes.md "DNS")."""
        args = self._args
        for kind, cidrs in (("remote-pods", args.remote_pod_cidrs), ("remote-nodes", args.remote_node_cidrs)):
            for i, cidr in enumerate(cidrs):
                for protocol in ("udp", "tcp"):
                    aws.vpc.SecurityGroupIngressRule(
                        f"{self._name}-{kind}-{i}-dns-{protocol}",
                        security_group_id=self.security_group_id,
                        description=f"DNS ({protocol.upper()}) to CoreDNS from hybrid {kind.split('-')[1]} {cidr}",
                        ip_protocol=protocol, from_port=53, to_port=53, cidr_ipv4=cidr,
                        tags=args.tags, opts=self._child())

    def _karpenter_discovery_tag(self) -> None:
        """Karpenter's workshop EC2NodeClass selects node security groups by this tag; EKS creates the
        cluster security group itself, so the tag is added to it here."""
        aws.ec2.Tag(
            f"{self._name}-sg-discovery",
            resource_id=self.security_group_id,
            key="karpenter.sh/discovery",
            value=self._args.name,
            opts=self._child(),
        )


def cluster_role_trust(partition: str, region: str, account: str, cluster_name: str) -> str:
    """eks.amazonaws.com, for this cluster only (EKS user guide, "Cross-service confused deputy prevention",
    since 2025-08-19: aws:SourceAccount and aws:SourceArn on the cluster role's trust)."""
    return service_trust_policy(["eks.amazonaws.com"], ["sts:AssumeRole", "sts:TagSession"], source_account=account,
                                source_arn=f"arn:{partition}:eks:{region}:{account}:cluster/{cluster_name}")


def control_plane_log_group_name(cluster_name: str) -> str:
    """The CloudWatch group EKS sends a cluster's control-plane logs to; EKS dictates the name."""
    return f"/aws/eks/{cluster_name}/cluster"


def render_kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that gets tokens from `aws eks get-token`, so it holds no credential itself."""
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name,
                      "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
            "interactiveMode": "Never",
        }}}],
    }, indent=2)
