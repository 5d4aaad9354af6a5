"""Each component on its own, under the shared mock engine, with args the stacks don't use."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.addons import ManagedAddons, ManagedAddonsArgs
from components.network import Network, NetworkArgs
from components.node_group import ManagedNodeGroup, ManagedNodeGroupArgs
from components.vpc_cni import VpcCniAddon, VpcCniAddonArgs, render_configuration_values
from offline.runner import ProgramRun, run_function
from workshop.config import ResolvedVpcCniConfig, Taint, VpcCniConfig, parse

CONFIG = {"aws:region": "us-west-2"}


def run(program) -> ProgramRun:
    return run_function("test", CONFIG, program)


def network_args(**overrides) -> NetworkArgs:
    base = dict(name="t", vpc_cidr="10.0.0.0/16", availability_zones=["us-west-2a", "us-west-2b"],
                public_subnet_cidrs=["10.0.0.0/18", "10.0.64.0/18"],
                private_subnet_cidrs=["10.0.128.0/18", "10.0.192.0/18"], nat_gateways="single",
                flow_logs=False, flow_log_retention_days=7, s3_gateway_endpoint=False, tags={"team": "a"})
    return NetworkArgs(**{**base, **overrides})


def test_network_single_nat_serves_every_zone():
    result = run(lambda: Network("net", network_args()))
    nats = result.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 1
    routes = [r.plain_inputs for r in result.of_type("aws:ec2/route:Route") if "natGatewayId" in r.plain_inputs]
    assert {r["natGatewayId"] for r in routes} == {nats[0].id} and len(routes) == 2
    assert result.of_type("aws:ec2/flowLog:FlowLog") == []
    assert result.one("aws:ec2/vpc:Vpc").plain_inputs["tags"] == {"team": "a", "Name": "t-vpc"}
    assert not result.one("aws:ec2/vpc:Vpc").protect


def test_network_per_az_nat_routes_each_zone_to_its_own_gateway():
    result = run(lambda: Network("net", network_args(nat_gateways="perAz", protect=True)))
    nats = {r.plain_inputs["subnetId"]: r.id for r in result.of_type("aws:ec2/natGateway:NatGateway")}
    assert len(nats) == 2
    public_ids = {r.id for r in result.of_type("aws:ec2/subnet:Subnet") if "-public-" in r.name}
    assert set(nats) == public_ids
    routes = [r.plain_inputs["natGatewayId"] for r in result.of_type("aws:ec2/route:Route")
              if "natGatewayId" in r.plain_inputs]
    assert sorted(routes) == sorted(nats.values())
    assert result.one("aws:ec2/vpc:Vpc").protect


def test_network_flow_logs_write_to_a_scoped_group():
    result = run(lambda: Network("net", network_args(flow_logs=True, flow_log_retention_days=14)))
    group = result.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.plain_inputs["retentionInDays"] == 14
    flow = result.one("aws:ec2/flowLog:FlowLog").plain_inputs
    assert flow["logDestination"] == group.outputs["arn"] and flow["vpcId"] == result.one("aws:ec2/vpc:Vpc").id
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy").plain_inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    trust = json.loads(result.one("aws:iam/role:Role").plain_inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": ["vpc-flow-logs.amazonaws.com"]}


def node_group_args(**overrides) -> ManagedNodeGroupArgs:
    base = dict(cluster_name="c", kubernetes_version="1.31", node_group_name="gpu", physical_name="gpu",
                node_role_arn="arn:aws:iam::1:role/n",
                subnet_ids=["subnet-1"], instance_types=["g5.xlarge", "g5.2xlarge"], min_size=0, desired_size=1,
                max_size=4, ami_type="AL2023_x86_64_STANDARD", release_version="1.31.3-20250103",
                max_unavailable_percentage=100, disk_size=200, capacity_type="SPOT", metadata_hop_limit=1, auto_repair=True,
                taints=[Taint(key="nvidia.com/gpu", effect="NO_SCHEDULE")], labels={"gpu": "true"}, tags={"a": "b"})
    return ManagedNodeGroupArgs(**{**base, **overrides})


def test_node_group_passes_taints_spot_and_its_root_device():
    result = run(lambda: ManagedNodeGroup("ng", node_group_args()))
    ng = result.one("aws:eks/nodeGroup:NodeGroup").plain_inputs
    assert ng["taints"] == [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}]
    assert ng["capacityType"] == "SPOT" and ng["amiType"] == "AL2023_x86_64_STANDARD" and ng["nodeGroupName"] == "gpu"
    assert ng["instanceTypes"] == ["g5.xlarge", "g5.2xlarge"]
    assert ng["scalingConfig"] == {"minSize": 0, "desiredSize": 1, "maxSize": 4}
    assert ng["nodeRepairConfig"] == {"enabled": True}
    assert "diskSize" not in ng  # the size lives in the launch template, where EKS requires it
    lt = result.one("aws:ec2/launchTemplate:LaunchTemplate").plain_inputs
    assert lt["blockDeviceMappings"][0]["deviceName"] == "/dev/xvda"
    assert lt["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 200
    assert {t["resourceType"] for t in lt["tagSpecifications"]} == {"instance", "volume"}


def test_a_generated_node_group_name_is_left_to_pulumi():
    result = run(lambda: ManagedNodeGroup("nodes-gpu", node_group_args(physical_name=None)))
    ng = result.one("aws:eks/nodeGroup:NodeGroup")
    assert "nodeGroupName" not in ng.plain_inputs and ng.outputs["nodeGroupName"].startswith("nodes-gpu-")


def test_node_group_depends_on_what_its_component_depends_on():
    def program():
        dep = aws.ec2.Vpc("dep", cidr_block="10.9.0.0/16")
        ManagedNodeGroup("ng", node_group_args(), opts=pulumi.ResourceOptions(depends_on=[dep]))

    result = run(program)
    dep = result.one("aws:ec2/vpc:Vpc")
    assert dep.urn in result.one("aws:eks/nodeGroup:NodeGroup").dependencies


def test_vpc_cni_settings_render_to_the_addon_schema():
    rendered = json.loads(render_configuration_values(ResolvedVpcCniConfig(
        version="v1.19.2-eksbuild.1", prefix_delegation=False, pod_eni=False, pod_security_group_enforcing_mode="strict",
        network_policy=False, policy_event_logs=False)))
    assert rendered == {"env": {"ENABLE_PREFIX_DELEGATION": "false", "ENABLE_POD_ENI": "false",
                                "POD_SECURITY_GROUP_ENFORCING_MODE": "strict"},
                        "enableNetworkPolicy": "false", "nodeAgent": {"enablePolicyEventLogs": "false"}}


def test_vpc_cni_addon_uses_its_irsa_role_after_the_policy_is_attached():
    result = run(lambda: VpcCniAddon("cni", VpcCniAddonArgs(
        cluster_name="c", settings=ResolvedVpcCniConfig(version="v1.19.2-eksbuild.1"),
        oidc_provider_arn="arn:aws:iam::1:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X",
        oidc_issuer_url="https://oidc.eks.us-west-2.amazonaws.com/id/X", tags={})))
    addon = result.one("aws:eks/addon:Addon")
    attachment = result.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.urn in addon.dependencies
    trust = json.loads(result.one("aws:iam/role:Role").plain_inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X"}
    assert trust["Condition"]["StringEquals"]["oidc.eks.us-west-2.amazonaws.com/id/X:sub"] == \
        "system:serviceaccount:kube-system:aws-node"


def test_managed_addons_wait_for_nodes_only_where_needed():
    def program():
        nodes = aws.ec2.Vpc("nodes", cidr_block="10.9.0.0/16")  # any resource stands in for a node group
        ManagedAddons("addons", ManagedAddonsArgs(cluster_name="c", versions={
            "coredns": "v1.11.3-eksbuild.2", "kube-proxy": "v1.31.3-eksbuild.2"}, node_groups=[nodes]))

    result = run(program)
    nodes = result.one("aws:ec2/vpc:Vpc")
    by_name = {r.plain_inputs["addonName"]: r for r in result.of_type("aws:eks/addon:Addon")}
    assert nodes.urn in by_name["coredns"].dependencies
    assert nodes.urn not in by_name["kube-proxy"].dependencies
    assert by_name["coredns"].plain_inputs["addonVersion"] == "v1.11.3-eksbuild.2"


def cluster_args(**overrides):
    from components.cluster import EksClusterArgs

    base = dict(name="iso", version="1.32", region="us-west-2", subnet_ids=["subnet-1", "subnet-2"],
                endpoint_private_access=True, endpoint_public_access=False, public_access_cidrs=["10.0.0.0/8"],
                authentication_mode="API_AND_CONFIG_MAP", bootstrap_cluster_creator_admin_permissions=False,
                log_types=["audit"], manage_log_types=True, log_retention_days=14, service_cidr="172.21.0.0/16",
                remote_node_cidrs=[],
                remote_pod_cidrs=[], admin_principals=[], deployer_cidrs=[], upgrade_support_type="STANDARD",
                deletion_protection=True, zonal_shift=True,
                tags={"t": "1"}, protect=True)
    return EksClusterArgs(**{**base, **overrides})


def test_cluster_private_only_without_hybrid_nodes():
    from components.cluster import EksCluster

    result = run(lambda: EksCluster("iso", cluster_args()))
    cluster = result.one("aws:eks/cluster:Cluster")
    inputs = cluster.plain_inputs
    assert inputs["vpcConfig"]["endpointPublicAccess"] is False and "publicAccessCidrs" not in inputs["vpcConfig"]
    assert inputs["accessConfig"] == {"authenticationMode": "API_AND_CONFIG_MAP",
                                      "bootstrapClusterCreatorAdminPermissions": False}
    assert inputs["kubernetesNetworkConfig"] == {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.21.0.0/16"}
    assert "remoteNetworkConfig" not in inputs and inputs["enabledClusterLogTypes"] == ["audit"]
    assert result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []
    assert result.one("aws:cloudwatch/logGroup:LogGroup").plain_inputs == {
        "name": "/aws/eks/iso/cluster", "retentionInDays": 14, "tags": {"t": "1"}}
    assert cluster.protect and result.one("aws:kms/key:Key").protect
    # EKS's own guards, beside Pulumi's protect
    assert inputs["deletionProtection"] is True and inputs["zonalShiftConfig"] == {"enabled": True}
    assert result.one("aws:kms/alias:Alias").plain_inputs["name"] == "alias/iso-eks-secrets"
    # The cluster role: EKS may assume it for this cluster of this account only (confused-deputy guard)
    (trust,) = json.loads(result.one("aws:iam/role:Role").plain_inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": ["eks.amazonaws.com"]}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                  "ArnLike": {"aws:SourceArn": "arn:aws:eks:us-west-2:123456789012:cluster/iso"}}
    tag = result.one("aws:ec2/tag:Tag").plain_inputs
    assert (tag["key"], tag["value"]) == ("karpenter.sh/discovery", "iso")
    assert tag["resourceId"] == cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]


def test_node_role_trusts_ec2_and_carries_no_cni_policy():
    from components.node_role import NodeRole

    result = run(lambda: NodeRole("nodes", {"t": "1"}))
    trust = json.loads(result.one("aws:iam/role:Role").plain_inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    policies = sorted(a.plain_inputs["policyArn"].rsplit("/", 1)[1]
                      for a in result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    assert policies == ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy",
                        "AmazonSSMManagedInstanceCore"]


def test_an_unresolved_vpc_cni_version_cannot_become_component_settings():
    # The config model's default says "catalogue"; VpcCniAddonArgs takes only the resolved type, which
    # refuses it where it is made, so the component needs no check of its own.
    assert VpcCniConfig().version == "catalogue"
    with pytest.raises(ValueError, match="vpcCni.version 'catalogue' is not resolved"):
        ResolvedVpcCniConfig(**dict(VpcCniConfig()))
    assert parse({"aws:region": "us-west-2"}).vpc_cni.version.startswith("v")


def test_network_s3_endpoint_needs_the_region():
    with pytest.raises(ValueError, match="s3_gateway_endpoint needs NetworkArgs.region"):
        Network("net", network_args(s3_gateway_endpoint=True))
