"""The whole program per stack, under the shared mock engine: the workshop's values, order and contract."""

from __future__ import annotations

import json
import re

import pytest
from plan_support import plan_cli, program_copy  # noqa: F401 - fixtures

from offline.runner import ProgramRun, load_stack_config, run_stack, stack_account
from offline.wire import is_secret, reveal
from workshop import labs
from workshop.config import parse
from workshop.versions import catalogue

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
SUBNET = "aws:ec2/subnet:Subnet"
SPEC_VPC_CNI_JSON = ('{"env":{"ENABLE_PREFIX_DELEGATION":"true","ENABLE_POD_ENI":"true",'
                     '"POD_SECURITY_GROUP_ENFORCING_MODE":"standard"},"enableNetworkPolicy":"true",'
                     '"nodeAgent":{"enablePolicyEventLogs":"true"}}')

def addon(run: ProgramRun, name: str):
    return next(r for r in run.of_type(ADDON) if r.plain_inputs["addonName"] == name)


def zones(run: ProgramRun) -> int:
    """The stack's own zone count (a user's stack may have two): one private subnet each."""
    return len(parse(run.config).availability_zones)


def depends_on(run: ProgramRun, resource, other) -> bool:
    return other.urn in resource.dependencies


# ------------------------------------------------------------------ dev is the workshop


def test_dev_cluster_matches_the_spec(dev):
    cluster = dev.one(CLUSTER).plain_inputs
    # The minor the workshop's labs are written for, kept in extended support.
    assert cluster["name"] == "eks-workshop" and cluster["version"] == labs.kubernetes_version()
    assert cluster["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["vpcConfig"]["endpointPublicAccess"] is True
    assert cluster["remoteNetworkConfig"] == {"remoteNodeNetworks": {"cidrs": ["10.52.0.0/16"]},
                                              "remotePodNetworks": {"cidrs": ["10.53.0.0/16"]}}
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert cluster["tags"] == {"karpenter.sh/discovery": "eks-workshop", "created-by": "eks-workshop-v2",
                               "env": "eks-workshop", "alpha.eksctl.io/cluster-name": "eks-workshop",
                               "eksctl.cluster.k8s.io/v1alpha1/cluster-name": "eks-workshop"}
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:ap-northeast-2:")
    # Logging off and left to the labs, which switch it on and off: `up` never reverts them.
    assert cluster["enabledClusterLogTypes"] == []
    assert dev.one(CLUSTER).ignore_changes == ["enabledClusterLogTypes"]


def test_staging_and_prod_log_every_control_plane_type_and_keep_it_so(staging, prod):
    for run in (staging, prod):
        cluster = run.one(CLUSTER)
        assert sorted(cluster.plain_inputs["enabledClusterLogTypes"]) == ["api", "audit", "authenticator",
                                                                          "controllerManager", "scheduler"]
        assert cluster.ignore_changes == []


def test_dev_network_is_eksctls_layout(dev):
    vpc = dev.one("aws:ec2/vpc:Vpc", "network-vpc").plain_inputs
    assert vpc["cidrBlock"] == "10.42.0.0/16" and vpc["enableDnsHostnames"] and vpc["enableDnsSupport"]
    subnets = {r.name: r.plain_inputs for r in dev.of_type(SUBNET) if r.name.startswith("network-")}
    public = {s["availabilityZone"]: s["cidrBlock"] for n, s in subnets.items() if "-public-" in n}
    private = {s["availabilityZone"]: s["cidrBlock"] for n, s in subnets.items() if "-private-" in n}
    assert public == {"ap-northeast-2a": "10.42.0.0/19", "ap-northeast-2b": "10.42.32.0/19",
                      "ap-northeast-2c": "10.42.64.0/19"}
    assert private == {"ap-northeast-2a": "10.42.96.0/19", "ap-northeast-2b": "10.42.128.0/19",
                       "ap-northeast-2c": "10.42.160.0/19"}
    for name, s in subnets.items():
        assert s["mapPublicIpOnLaunch"] is False
        if "-public-" in name:
            assert s["tags"]["kubernetes.io/role/elb"] == "1" and "karpenter.sh/discovery" not in s["tags"]
        else:
            assert s["tags"]["kubernetes.io/role/internal-elb"] == "1"
            assert s["tags"]["karpenter.sh/discovery"] == "eks-workshop"
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1  # eksctl's single NAT
    assert dev.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg").plain_inputs.get(
        "ingress", []) == []
    assert dev.one("aws:ec2/flowLog:FlowLog", "network-flow-logs").plain_inputs["trafficType"] == "ALL"


def test_private_route_tables_send_egress_to_nat_public_to_igw(any_stack):
    routes = {r.name: r.plain_inputs for r in any_stack.of_type("aws:ec2/route:Route")}
    assert routes["network-public-default"]["gatewayId"].startswith("igw-")
    private = [v for k, v in routes.items() if k.startswith("network-private-") and "-remote-" not in k]
    assert len(private) == zones(any_stack) and all(v["natGatewayId"].startswith("nat-") for v in private)


def test_every_private_route_table_routes_each_remote_cidr_through_the_transit_gateway(staging):
    """staging's vpcGatewayId: an attachment on the private subnets, and every remote node and pod CIDR
    routed through it from every private route table, each route after the attachment."""
    attachment = staging.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    subnets = reveal(staging.outputs)["privateSubnetIds"]
    assert attachment.plain_inputs["transitGatewayId"] == "tgw-0123456789abcdef0"
    assert sorted(attachment.plain_inputs["subnetIds"]) == sorted(subnets)
    tables = {t.outputs["id"] for t in staging.of_type("aws:ec2/routeTable:RouteTable") if t.name.startswith("network-private-")}
    remote = [r for r in staging.of_type("aws:ec2/route:Route") if "-remote-" in r.name]
    routed = {(r.plain_inputs["routeTableId"], r.plain_inputs["destinationCidrBlock"]) for r in remote}
    assert routed == {(t, c) for t in tables for c in ("10.52.0.0/16", "10.53.0.0/16")}
    assert all(r.plain_inputs["transitGatewayId"] == "tgw-0123456789abcdef0" and attachment.urn in r.dependencies
               for r in remote)


def test_a_virtual_private_gateway_is_attached_to_the_vpc_and_routed_through():
    config = load_stack_config("staging")
    cluster = json.loads(json.dumps(config["eks-workshop:cluster"]))
    cluster["remoteNetworks"]["vpcGatewayId"] = "vgw-0123456789abcdef0"
    run = run_stack("staging", overrides={"eks-workshop:cluster": cluster})
    attachment = run.one("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    assert attachment.plain_inputs["vpnGatewayId"] == "vgw-0123456789abcdef0"
    remote = [r.plain_inputs for r in run.of_type("aws:ec2/route:Route") if "-remote-" in r.name]
    assert len(remote) == 6 and all(r["gatewayId"] == "vgw-0123456789abcdef0" for r in remote)
    assert not run.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")


def test_a_private_cluster_whose_deployers_nothing_routes_back_to_is_refused():
    from workshop.config import ConfigError

    config = load_stack_config("staging")
    cluster = json.loads(json.dumps(config["eks-workshop:cluster"]))
    del cluster["remoteNetworks"]["vpcGatewayId"]
    cluster["deployerCidrs"] = ["10.60.0.0/16"]
    with pytest.raises(ConfigError) as err:
        run_stack("staging", overrides={"eks-workshop:cluster": cluster})
    assert err.value.problems == [
        "eks-workshop:cluster.deployerCidrs: '10.60.0.0/16': only the private endpoint is on and the readiness gate "
        "talks to the API, but it is outside the VPC 10.44.0.0/16 and nothing routes the private endpoint's answers "
        "back to it: set cluster.remoteNetworks.vpcGatewayId (the range is then routed through it), or run the "
        "deployers inside the VPC"]
    # With the gateway the range is routed back through it and admitted on 443.
    cluster["remoteNetworks"]["vpcGatewayId"] = "tgw-0123456789abcdef0"
    run = run_stack("staging", overrides={"eks-workshop:cluster": cluster})
    remote = {r.plain_inputs["destinationCidrBlock"] for r in run.of_type("aws:ec2/route:Route") if "-remote-" in r.name}
    assert remote == {"10.52.0.0/16", "10.53.0.0/16", "10.60.0.0/16"}
    https = [r.plain_inputs for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.name.startswith("cluster-deployers-")]
    assert [(r["cidrIpv4"], r["fromPort"], r["toPort"]) for r in https] == [("10.60.0.0/16", 443, 443)]


def test_which_deployer_ranges_get_443_as_docs_hybrid_nodes_says(any_stack):
    """docs/hybrid-nodes.md: a deployer range gets its own 443 rule only where only the private endpoint is on and
    the readiness gate talks to the API, and only when no remote-network rule already covers exactly it."""
    cfg = parse(any_stack.config)
    c = cfg.cluster
    rules = {r.plain_inputs["cidrIpv4"] for r in any_stack.of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.name.startswith("cluster-deployers-")}
    private_and_gated = cfg.readiness_gate and not c.endpoint_public_access
    expected = {d for d in c.deployer_cidrs if d not in (*c.remote_networks.nodes, *c.remote_networks.pods)}
    assert rules == (expected if private_and_gated else set())
    # and where a deployer range is a remote range, that range's own 443 rule admits it
    if private_and_gated:
        admitted = {r.plain_inputs["cidrIpv4"] for r in any_stack.of_type(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.plain_inputs["fromPort"] == 443}
        assert set(c.deployer_cidrs) <= admitted


def test_private_subnets_reach_s3_through_a_gateway_endpoint(any_stack):
    # Not the NAT gateway: ECR serves image layers from S3, and NAT charges per GB processed.
    endpoint = any_stack.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    tables = {t.name: t for t in any_stack.of_type("aws:ec2/routeTable:RouteTable")}
    private = [t.outputs["id"] for name, t in tables.items() if name.startswith("network-private-")]
    region = any_stack.config["aws:region"]
    assert endpoint.plain_inputs["serviceName"] == f"com.amazonaws.{region}.s3"
    assert endpoint.plain_inputs["vpcEndpointType"] == "Gateway"
    assert sorted(endpoint.plain_inputs["routeTableIds"]) == sorted(private) and len(private) == zones(any_stack)
    assert all(tables[n].urn in endpoint.dependencies for n in tables if n.startswith("network-private-"))


def test_the_s3_endpoint_is_optional():
    run = run_stack("dev", overrides={"eks-workshop:network": {**load_stack_config("dev")["eks-workshop:network"],
                                                               "s3GatewayEndpoint": False}})
    assert run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []


def test_dev_node_group_matches_the_spec(dev):
    group = dev.one(NODE_GROUP)
    ng = group.plain_inputs
    assert ng["nodeGroupName"] == "default"
    assert ng["instanceTypes"] == ["m5.large"]
    assert ng["scalingConfig"] == {"desiredSize": 3, "minSize": 3, "maxSize": 6}
    # The workshop's AMI release, deliberately not the newest: its upgrade lab rolls the nodes.
    assert (ng["releaseVersion"], ng["version"]) == (labs.node_group()["releaseVersion"], labs.kubernetes_version())
    assert ng["updateConfig"] == {"maxUnavailablePercentage": 50}
    assert ng["labels"] == {"workshop-default": "yes"}
    assert ng["tags"]["karpenter.sh/discovery"] == "eks-workshop"
    private_ids = {r.id for r in dev.of_type(SUBNET) if "-private-" in r.name}
    assert set(ng["subnetIds"]) == private_ids  # privateNetworking: true
    assert "remoteAccess" not in ng
    assert group.ignore_changes == ["scalingConfig.desiredSize"]


def auto_mode(run: ProgramRun) -> bool:
    return bool(run.one(CLUSTER).plain_inputs.get("computeConfig", {}).get("enabled"))


def workshop(run: ProgramRun) -> bool:
    """A stack the workshop is taught on: dev, or a copy of it (docs/your-own-stack.md). Judged as the plan
    judges whether the labs run: by its IDE, not by its name."""
    return parse(run.config).ide.enabled


def test_node_launch_template_requires_imdsv2_and_encrypts_the_root_volume(any_stack):
    if auto_mode(any_stack):  # EKS launches the nodes: no launch template, no node group (test_auto_mode.py)
        assert any_stack.of_type("aws:ec2/launchTemplate:LaunchTemplate") == any_stack.of_type(NODE_GROUP) == []
        return
    lt = any_stack.one("aws:ec2/launchTemplate:LaunchTemplate").plain_inputs
    assert lt["metadataOptions"]["httpTokens"] == "required"
    # Hop limit 1: pods on the pod network can't reach the node role's credentials. A workshop stack takes
    # eksctl's 2: the workshop's controllers read the VPC ID from instance metadata, from pods.
    hops = labs.node_metadata_hop_limit() if workshop(any_stack) else 1
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == hops
    (device,) = lt["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true" and device["ebs"]["volumeType"] == "gp3"
    assert device["ebs"]["volumeSize"] == 80
    assert "networkInterfaces" not in lt  # no public IP path on nodes
    ng = any_stack.one(NODE_GROUP).plain_inputs
    assert ng["launchTemplate"]["id"] == any_stack.one("aws:ec2/launchTemplate:LaunchTemplate").id


def test_dev_vpc_cni_is_the_spec_addon(dev):
    cni = addon(dev, "vpc-cni").plain_inputs
    assert cni["addonVersion"] == catalogue().versions[labs.kubernetes_version()].addons["vpc-cni"].version
    assert cni["configurationValues"] == SPEC_VPC_CNI_JSON
    assert cni["resolveConflictsOnCreate"] == "OVERWRITE" and cni["resolveConflictsOnUpdate"] == "OVERWRITE"
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name == "vpc-cni-irsa")
    assert cni["serviceAccountRoleArn"] == reveal(role.outputs)["arn"]
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"][0]
    issuer = dev.one(CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"].removeprefix("https://")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {f"{issuer}:sub": "system:serviceaccount:kube-system:aws-node",
                                                  f"{issuer}:aud": "sts.amazonaws.com"}


def test_iam_roles_carry_the_spec_policies(dev):
    attached: dict[str, set[str]] = {}
    roles = {r.outputs["name"]: r.name for r in dev.of_type("aws:iam/role:Role")}
    for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        inputs = a.plain_inputs
        attached.setdefault(roles[inputs["role"]], set()).add(inputs["policyArn"].rsplit("/", 1)[1])
    assert attached["cluster-role"] == {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"}
    assert attached["node-role"] == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                                     "AmazonSSMManagedInstanceCore"}
    assert attached["vpc-cni-irsa"] == {"AmazonEKS_CNI_Policy"}


def test_oidc_provider_trusts_sts_for_the_cluster_issuer(dev):
    oidc = dev.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").plain_inputs
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc["url"] == dev.one(CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]


def test_remote_networks_reach_the_api_on_443_and_coredns_on_53(dev):
    rules = [r.plain_inputs for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.name.startswith("cluster-remote-")]
    cluster_sg = dev.one(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert all(r["securityGroupId"] == cluster_sg for r in rules)
    opened = sorted((r["cidrIpv4"], r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules)
    # The API (EKS guide, cluster security group table), and DNS to CoreDNS's cloud replicas (its on-premises
    # firewall table: pods on hybrid nodes resolve through them).
    assert opened == sorted((cidr, protocol, port, port) for cidr in ("10.52.0.0/16", "10.53.0.0/16")
                            for protocol, port in (("tcp", 443), ("tcp", 53), ("udp", 53)))


def test_no_dns_rule_without_remote_networks():
    run = run_stack("dev-auto")  # the workshop's Auto Mode cluster has no remote networks
    assert not parse(run.config).cluster.remote_networks.nodes
    assert not [r for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.plain_inputs["fromPort"] == 53]


def test_other_addons_are_pinned(any_stack):
    versions = {r.plain_inputs["addonName"]: r.plain_inputs["addonVersion"] for r in any_stack.of_type(ADDON)}
    # A workshop stack leaves the pod identity agent to the labs, which create it themselves; Auto Mode runs
    # all but metrics-server itself.
    expected = {"vpc-cni", "coredns", "kube-proxy", "metrics-server", "eks-pod-identity-agent"}
    if auto_mode(any_stack):
        expected = {"metrics-server"}
    elif workshop(any_stack):
        expected -= set(labs.labs_install()["addons"])
    assert set(versions) == expected
    assert all(v.startswith("v") and "-eksbuild." in v for v in versions.values())


# ------------------------------------------------------------------ order


def test_vpc_cni_before_nodes_and_coredns_after_them(any_stack):
    if auto_mode(any_stack):  # no vpc-cni add-on, no node group
        return
    node_group = any_stack.one(NODE_GROUP)
    assert depends_on(any_stack, node_group, addon(any_stack, "vpc-cni"))
    for name in ("coredns", "metrics-server"):
        assert depends_on(any_stack, addon(any_stack, name), node_group)
    for name in ("kube-proxy", "eks-pod-identity-agent", "vpc-cni"):
        if any(r.plain_inputs["addonName"] == name for r in any_stack.of_type(ADDON)):
            assert not depends_on(any_stack, addon(any_stack, name), node_group)


def test_node_group_waits_for_its_role_policies(any_stack):
    attachments = [a for a in any_stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.name.startswith("node-role-")]
    # With Auto Mode the cluster waits for them: it launches nodes as soon as a pod is pending.
    waiting = any_stack.one(CLUSTER) if auto_mode(any_stack) else any_stack.one(NODE_GROUP)
    assert len(attachments) == (2 if auto_mode(any_stack) else 3)
    assert all(a.urn in waiting.dependencies for a in attachments)


def test_cluster_waits_for_its_role_policies_and_log_group(any_stack):
    cluster = any_stack.one(CLUSTER)
    needed = [a for a in any_stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
              if a.name.startswith("cluster-role-")]
    needed.append(next(r for r in any_stack.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "cluster-logs"))
    assert all(r.urn in cluster.dependencies for r in needed)


def test_children_are_parented_to_their_components(any_stack):
    components = {r.urn: r.type for r in any_stack.resources if not r.custom}
    for r in any_stack.resources:
        if r.custom:
            assert components.get(r.parent, "").startswith("eks-workshop:"), r.urn


# ------------------------------------------------------------------ staging and prod


def test_staging_and_prod_are_safer_than_dev(dev, staging, prod):
    for run in (staging, prod):
        cluster = run.one(CLUSTER).plain_inputs
        # Private endpoint only: the API is not on the internet (and hybrid nodes need one mode).
        assert cluster["vpcConfig"]["endpointPublicAccess"] is False and "publicAccessCidrs" not in cluster["vpcConfig"]
        assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 3  # one per AZ
        assert run.one(NODE_GROUP).plain_inputs["scalingConfig"]["maxSize"] > 6
    assert dev.one(CLUSTER).plain_inputs["vpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert staging.one(CLUSTER).plain_inputs["name"] != prod.one(CLUSTER).plain_inputs["name"]


def test_protect_follows_the_stack_config(dev, prod):
    stateful = ("aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup")
    assert all(r.protect for t in stateful for r in prod.of_type(t)) and len(prod.of_type("aws:kms/key:Key")) == 2
    # prod's audit data: the control-plane logs and the flow logs (365 days), both protected.
    groups = {r.plain_inputs["name"]: r.plain_inputs["retentionInDays"] for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups == {"/aws/eks/eks-workshop-prod/cluster": 365, "/aws/vpc/eks-workshop-prod/flow-logs": 365}
    assert not any(r.protect for r in dev.resources)
    assert {r.type for r in prod.resources if r.protect} == set(stateful)


def test_extra_tags_reach_every_taggable_resource(prod):
    taggable = [r for r in prod.resources if r.custom and "tags" in r.plain_inputs]
    assert len(taggable) > 25
    for r in taggable:
        assert r.plain_inputs["tags"].get("cost-center") == "platform", r.name
        assert r.plain_inputs["tags"].get("created-by") == "eks-workshop-v2", r.name


def test_every_kms_key_rotates_and_has_an_explicit_key_policy(any_stack):
    keys = any_stack.of_type("aws:kms/key:Key")
    assert {k.name for k in keys} == {"cluster-secrets", "log-key"}
    for key in keys:
        inputs = key.plain_inputs
        assert inputs["enableKeyRotation"] is True
        admin, *users = json.loads(inputs["policy"])["Statement"]
        # The account administers the key and can't use it; the key's users are named, nothing wider.
        assert admin["Principal"] == {"AWS": f"arn:aws:iam::{stack_account(any_stack.config)}:root"}
        assert not any(a.startswith(("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")) or a == "kms:*"
                       for a in admin["Action"])
        assert len(users) == 1 and users[0]["Principal"] != "*" and "*" not in json.dumps(users[0]["Principal"])


def test_the_secrets_key_is_used_by_the_cluster_role_only(dev):
    key = dev.one("aws:kms/key:Key", "cluster-secrets")
    role = dev.one("aws:iam/role:Role", "cluster-role")
    user = json.loads(key.plain_inputs["policy"])["Statement"][1]
    assert user["Principal"] == {"AWS": reveal(role.outputs)["arn"]}
    assert "kms:Decrypt*" in user["Action"] and "kms:CreateGrant" in user["Action"]


def test_log_groups_are_encrypted_with_a_key_only_cloudwatch_logs_uses_for_them(any_stack):
    key = any_stack.one("aws:kms/key:Key", "log-key")
    cfg = parse(any_stack.config)
    groups = any_stack.of_type("aws:cloudwatch/logGroup:LogGroup")
    # The control plane's, the flow logs' and the IDE's VPC flow logs, each where the stack has it.
    assert len(groups) == 1 + cfg.network.flow_logs + cfg.ide.enabled
    assert {g.plain_inputs["kmsKeyId"] for g in groups} == {reveal(key.outputs)["arn"]}
    user = json.loads(key.plain_inputs["policy"])["Statement"][1]
    assert user["Principal"] == {"Service": f"logs.{cfg.region}.amazonaws.com"}
    assert sorted(user["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]) == sorted(
        f"arn:aws:logs:{cfg.region}:{stack_account(any_stack.config)}:log-group:{g.plain_inputs['name']}"
        for g in groups)


def test_log_encryption_can_be_turned_off():
    run = run_stack("staging", overrides={"eks-workshop:logEncryption": False})
    assert [k.name for k in run.of_type("aws:kms/key:Key")] == ["cluster-secrets"]
    assert all("kmsKeyId" not in g.plain_inputs for g in run.of_type("aws:cloudwatch/logGroup:LogGroup"))


def test_admin_principals_get_cluster_admin_access_entries():
    run = run_stack("dev", overrides={"eks-workshop:cluster": {
        **load_stack_config("dev")["eks-workshop:cluster"],
        "adminPrincipals": ["arn:aws:iam::123456789012:role/platform-admins"]}})
    entry = run.one("aws:eks/accessEntry:AccessEntry", "cluster-admin-0").plain_inputs
    assoc = run.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "cluster-admin-0").plain_inputs
    assert entry["principalArn"] == "arn:aws:iam::123456789012:role/platform-admins"
    assert assoc["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert assoc["accessScope"] == {"type": "cluster"}


def test_remote_networks_can_be_turned_off():
    run = run_stack("dev", overrides={"eks-workshop:cluster": {**load_stack_config("dev")["eks-workshop:cluster"],
                                                               "remoteNetworks": {"nodes": [], "pods": []}}})
    assert "remoteNetworkConfig" not in run.one(CLUSTER).plain_inputs
    assert [r for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.name.startswith("cluster-")] == []


def test_two_zone_network_is_computed():
    run = run_stack("dev", overrides={"eks-workshop:network": {"azCount": 2, "natGateways": "perAz"}})
    cidrs = sorted(r.plain_inputs["cidrBlock"] for r in run.of_type(SUBNET) if r.name.startswith("network-"))
    assert cidrs == ["10.42.0.0/18", "10.42.128.0/18", "10.42.192.0/18", "10.42.64.0/18"]
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 2


# ------------------------------------------------------------------ the output contract


# Public names: other teams' code reads them. Changing this set is a breaking change (docs/outputs.md).
STABLE_OUTPUTS = {"clusterName", "clusterEndpoint", "clusterArn", "clusterVersion", "clusterSecurityGroupId",
                  "kubeconfig", "oidcProviderArn", "oidcIssuerUrl", "vpcId", "publicSubnetIds",
                  "privateSubnetIds", "nodeGroupNames", "nodeRoleArn", "region"}
IDE_OUTPUTS = {"ideUrl", "idePasswordSecret", "idePasswordSecretName", "ideRoleArn"}


def test_contract_names_are_stable():
    from workshop.contract import expected_outputs

    assert expected_outputs(ide_enabled=False) == STABLE_OUTPUTS
    assert expected_outputs(ide_enabled=True) == STABLE_OUTPUTS | IDE_OUTPUTS
    assert len(IDE_OUTPUTS) == 4


def test_output_contract(any_stack):
    from workshop.contract import OUTPUTS, expected_outputs

    cfg = parse(any_stack.config)
    iam = cfg.cluster.remote_networks.iam
    assert set(any_stack.outputs) == expected_outputs(ide_enabled=cfg.ide.enabled,
                                                      hybrid_nodes=bool(cfg.cluster.remote_networks.nodes),
                                                      roles_anywhere=iam.provider == "IRA" and not iam.role_arn)
    secret = {o.name for o in OUTPUTS if o.secret}
    assert secret == {"kubeconfig"}
    assert {k for k, v in any_stack.outputs.items() if is_secret(v)} == secret
    outputs = reveal(any_stack.outputs)
    assert outputs["region"] == cfg.region
    assert outputs["clusterName"] == any_stack.one(CLUSTER).plain_inputs["name"]
    assert outputs["clusterEndpoint"].startswith("https://")
    assert outputs["oidcIssuerUrl"].startswith(f"https://oidc.eks.{cfg.region}.amazonaws.com/id/")
    assert outputs["oidcProviderArn"].endswith(outputs["oidcIssuerUrl"].removeprefix("https://"))
    assert len(outputs["publicSubnetIds"]) == len(outputs["privateSubnetIds"]) == cfg.network.az_count
    # The workshop's name (dev), or one Pulumi generates (staging, prod: replacements create first).
    for key, name in zip(cfg.node_groups, outputs["nodeGroupNames"], strict=True):
        if cfg.node_groups[key].generated_name:
            assert re.fullmatch(rf"nodes-{key}-[0-9a-f]{{7}}", name), name
        else:
            assert name == key
    assert outputs["nodeRoleArn"].startswith("arn:aws:iam::")


def test_kubeconfig_uses_aws_eks_get_token(dev):
    kubeconfig = json.loads(reveal(dev.outputs["kubeconfig"]))
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "eks-workshop", "--region", "ap-northeast-2"]
    assert kubeconfig["clusters"][0]["cluster"]["server"] == reveal(dev.outputs["clusterEndpoint"])


def test_kubernetes_provider_gets_the_secret_kubeconfig(dev):
    provider = dev.one("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])


# ------------------------------------------------------------------ what a real `up` would race


def test_no_resource_names_another_without_waiting_for_it(any_stack):
    from offline.ordering import unordered_references

    assert unordered_references(any_stack) == []


def test_ordering_check_catches_a_plain_string_reference():
    import pulumi_aws as aws

    from offline.ordering import unordered_references
    from offline.runner import run_function

    def program(plain: bool):
        role = aws.iam.Role("role", name="workshop-role", assume_role_policy="{}")
        aws.iam.RolePolicyAttachment("attach", role="workshop-role" if plain else role.name,
                                     policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    racing = run_function("t", {"aws:region": "us-west-2"}, lambda: program(plain=True))
    assert unordered_references(racing) == [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment attach: input role = 'workshop-role' names "
        "aws:iam/role:Role role without depending on it; pass role's output (or depends_on) so it is "
        "created after it"]
    assert unordered_references(run_function("t", {"aws:region": "us-west-2"}, lambda: program(plain=False))) == []


def test_what_a_destroy_keeps_stays_readable(any_stack):
    """Every log group outlives a destroy, and so does the key its events are encrypted with."""
    keys = {r.outputs["arn"]: r for r in any_stack.of_type("aws:kms/key:Key")}
    groups = any_stack.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups and all(g.retain_on_delete for g in groups)
    for group in groups:
        key = keys[group.plain_inputs["kmsKeyId"]]
        assert key.retain_on_delete, (group.name, key.name)
    # The cluster's secrets key encrypts nothing that outlives the cluster: it goes with the stack.
    assert not any_stack.one("aws:kms/key:Key", "cluster-secrets").retain_on_delete


def test_a_rebuild_adopts_every_retained_log_group(prod):
    names = frozenset(r.plain_inputs["name"] for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup"))
    rebuilt = run_stack("prod", log_groups=names)
    assert {g.plain_inputs["name"]: g.import_id for g in rebuilt.of_type("aws:cloudwatch/logGroup:LogGroup")} == \
           {name: name for name in names}


def test_control_plane_log_group_survives_destroy_and_is_adopted_on_rebuild():
    """EKS re-creates its log group while a cluster is deleted: a destroy leaves the group, and the
    next `up` (a rebuild) adopts it instead of failing with ResourceAlreadyExistsException."""
    name = "/aws/eks/eks-workshop/cluster"
    fresh = run_stack("dev").one("aws:cloudwatch/logGroup:LogGroup", "cluster-logs")
    assert (fresh.plain_inputs["name"], fresh.retain_on_delete, fresh.import_id) == (name, True, "")
    rebuilt = run_stack("dev", log_groups=frozenset({name, "/aws/eks/someone-else/cluster"}))
    adopted = rebuilt.one("aws:cloudwatch/logGroup:LogGroup", "cluster-logs")
    assert adopted.import_id == name and adopted.retain_on_delete
    assert adopted.plain_inputs["retentionInDays"] == 7  # applied by the update that follows the import
    cluster = rebuilt.one(CLUSTER)
    assert adopted.urn in cluster.dependencies


def test_the_flow_log_role_is_scoped_to_this_account_and_its_group(any_stack):
    """Trusted by VPC Flow Logs for this account's flow logs only; allowed what the Flow Logs guide lists,
    on its own group."""
    for role in (r for r in any_stack.of_type("aws:iam/role:Role") if r.name.endswith("flow-logs")):
        group = any_stack.one("aws:cloudwatch/logGroup:LogGroup", role.name)
        arn = group.outputs["arn"]
        _, partition, _, region, account = arn.split(":")[:5]
        (trust,) = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": ["vpc-flow-logs.amazonaws.com"]}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                      "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"}}
        policy = json.loads(any_stack.one("aws:iam/rolePolicy:RolePolicy", role.name).plain_inputs["policy"])
        allowed = {a: s["Resource"] for s in policy["Statement"]
                   for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert set(allowed) == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                "logs:DescribeLogGroups", "logs:DescribeLogStreams"}
        assert allowed["logs:PutLogEvents"] == [arn, f"{arn}:*"]
        assert allowed["logs:DescribeLogGroups"] == "*"  # IAM: the action has no resource type


def test_zones_are_the_ones_aws_offers_the_account_seed_letters_first():
    """ap-northeast-1 offers new accounts 1a, 1c and 1d: the three used, in that order (a real run asks
    AWS; the mock answers from offline/availability_zones.json)."""
    from offline.mock_handlers import availability_zones
    from offline.mocks import WorkshopMocks
    from workshop.zones import REGULAR_ZONES, choose

    regular = {"filters": [{"name": REGULAR_ZONES[0], "values": REGULAR_ZONES[1]}]}
    offered = availability_zones(WorkshopMocks("ap-northeast-1"), regular)["names"]
    assert choose("ap-northeast-1", offered, 3) == ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
    seoul = reveal(run_stack("dev").outputs)["privateSubnetIds"]
    assert len(seoul) == 3  # ap-northeast-2 has a-d: the seed's a, b, c


def test_more_zones_than_the_region_offers_is_refused_before_anything_exists():
    from workshop.config import ConfigError

    config = load_stack_config("dev")
    with pytest.raises(ConfigError) as err:
        run_stack("dev", overrides={"aws:region": "eu-west-1",
                                    "eks-workshop:network": {**config["eks-workshop:network"], "azCount": 4}})
    assert err.value.problems == ["eks-workshop:network.azCount: 4 but eu-west-1 offers this account 3 zones "
                                  "(eu-west-1a, eu-west-1b, eu-west-1c)"]
    with pytest.raises(ConfigError) as err:
        run_stack("dev", overrides={"aws:region": "ap-northeast-1", "eks-workshop:network": {
            **config["eks-workshop:network"], "availabilityZones": ["ap-northeast-1a", "ap-northeast-1b",
                                                                    "ap-northeast-1c"]}})
    assert err.value.problems == ["eks-workshop:network.availabilityZones: ['ap-northeast-1b'] not offered to "
                                  "this account in ap-northeast-1 (it has ['ap-northeast-1a', 'ap-northeast-1c', "
                                  "'ap-northeast-1d'])"]


HYBRID_ROLE = "aws:iam/role:Role"


def test_hybrid_nodes_join_with_an_ssm_role_and_a_hybrid_linux_entry(dev):
    """As eksctl creates it for remoteNetworkConfig: the role (SSM provider), its policies, its entry."""
    role = dev.one(HYBRID_ROLE, "hybrid-nodes-role")
    (trust,) = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    account = stack_account(dev.config)  # dev pins its account: ARNs carry it
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                  "ArnEquals": {"aws:SourceArn": f"arn:aws:ssm:ap-northeast-2:{account}:*"}}
    attached = sorted(a.plain_inputs["policyArn"].rsplit("/", 1)[1] for a in dev.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.startswith("hybrid-nodes-role-"))
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"]
    inline = json.loads(dev.one("aws:iam/rolePolicy:RolePolicy", "hybrid-nodes-role").plain_inputs["policy"])
    cluster = dev.one(CLUSTER)
    arn = cluster.outputs["arn"]
    by_action = {s["Action"]: s for s in inline["Statement"]}
    # dev runs no pod identity agent (the labs install it): no eks-auth permission
    assert set(by_action) == {"eks:DescribeCluster", "eks:ListAccessEntries", "ssm:DeregisterManagedInstance",
                              "ssm:DescribeInstanceInformation"}
    # nodeadm init describes the cluster and validates its access entry (cluster-access-validation)
    assert by_action["eks:DescribeCluster"]["Resource"] == by_action["eks:ListAccessEntries"]["Resource"] == arn
    # deregistering: only this account's managed instances registered through this cluster's activations
    deregister = by_action["ssm:DeregisterManagedInstance"]
    assert deregister["Resource"] == f"arn:aws:ssm:ap-northeast-2:{account}:managed-instance/*"
    assert deregister["Condition"] == {"StringEquals": {"ssm:resourceTag/EKSClusterARN": arn}}
    assert by_action["ssm:DescribeInstanceInformation"]["Resource"] == "*"  # IAM: no resource type
    entry = dev.one("aws:eks/accessEntry:AccessEntry", "hybrid-nodes-access")
    assert entry.plain_inputs["type"] == "HYBRID_LINUX" and entry.plain_inputs["principalArn"] == role.outputs["arn"]
    assert cluster.urn in entry.property_dependencies["clusterName"]  # after the cluster
    assert reveal(dev.outputs)["hybridNodesRoleArn"] == role.outputs["arn"]
    assert not dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") or all(
        a.name != "hybrid-nodes-access" for a in dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation"))


def _with_hybrid_iam(**iam) -> dict:
    config = load_stack_config("dev")
    cluster = json.loads(json.dumps(config["eks-workshop:cluster"]))
    cluster["remoteNetworks"]["iam"] = iam
    return {"eks-workshop:cluster": cluster}


CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n"


def test_hybrid_nodes_with_roles_anywhere_trust_only_their_anchor():
    run = run_stack("dev", overrides=_with_hybrid_iam(provider="IRA", caBundle=CA))
    anchor = run.one("aws:rolesanywhere/trustAnchor:TrustAnchor")
    assert anchor.plain_inputs["source"] == {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": CA}}
    role = run.one(HYBRID_ROLE, "hybrid-nodes-role")
    statements = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
    assert all(s["Principal"] == {"Service": "rolesanywhere.amazonaws.com"} and
               s["Condition"]["ArnEquals"] == {"aws:SourceArn": anchor.outputs["arn"]} for s in statements)
    assert statements[1]["Condition"]["StringEquals"] == {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}
    profile = run.one("aws:rolesanywhere/profile:Profile")
    assert profile.plain_inputs["roleArns"] == [role.outputs["arn"]]
    # nodeadm always sends the node's name as the role session name: the profile must accept it
    assert profile.plain_inputs["acceptRoleSessionName"] is True
    # SSM's agent and machine permissions are the SSM provider's only
    attached = sorted(a.plain_inputs["policyArn"].rsplit("/", 1)[1] for a in run.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.startswith("hybrid-nodes-role-"))
    assert attached == ["AmazonEC2ContainerRegistryPullOnly"]
    inline = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "hybrid-nodes-role").plain_inputs["policy"])
    assert sorted(s["Action"] for s in inline["Statement"]) == ["eks:DescribeCluster", "eks:ListAccessEntries"]
    # nodeadm's iamRolesAnywhere config names the anchor and the profile: the stack exports both
    outputs = reveal(run.outputs)
    assert outputs["hybridNodesTrustAnchorArn"] == anchor.outputs["arn"]
    assert outputs["hybridNodesProfileArn"] == profile.outputs["arn"]


def test_pods_on_hybrid_nodes_get_pod_identity_where_the_stack_runs_the_agent(staging):
    """staging runs the pod identity agent and has hybrid nodes: its hybrid DaemonSet, and the role's right to
    pods' credentials (EKS guide, hybrid nodes add-ons)."""
    agent = next(a for a in staging.of_type(ADDON) if a.plain_inputs["addonName"] == "eks-pod-identity-agent")
    assert json.loads(agent.plain_inputs["configurationValues"]) == {"daemonsets": {"hybrid": {"create": True}}}
    inline = json.loads(staging.one("aws:iam/rolePolicy:RolePolicy", "hybrid-nodes-role").plain_inputs["policy"])
    grant = next(s for s in inline["Statement"] if s["Action"] == "eks-auth:AssumeRoleForPodIdentity")
    assert grant["Resource"] == staging.one(CLUSTER).outputs["arn"]
    others = [a for a in staging.of_type(ADDON) if a.plain_inputs["addonName"] not in ("eks-pod-identity-agent", "vpc-cni")]
    assert all("configurationValues" not in a.plain_inputs for a in others)


def test_an_existing_hybrid_nodes_role_gets_only_its_entry():
    arn = "arn:aws:iam::123456789012:role/on-prem-nodes"
    run = run_stack("dev", overrides=_with_hybrid_iam(roleArn=arn))
    assert not [r for r in run.resources if r.name.startswith("hybrid-nodes-role")]
    assert run.one("aws:eks/accessEntry:AccessEntry", "hybrid-nodes-access").plain_inputs["principalArn"] == arn
    assert reveal(run.outputs)["hybridNodesRoleArn"] == arn


def test_every_region_pulumi_aws_knows_is_recorded_or_refused_with_what_to_add():
    """The mock answers describe-availability-zones for each region whose zones are recorded (from AWS's
    documentation), and refuses the rest as a config error naming the region and what to add."""
    import pulumi_aws

    from offline.mock_handlers import availability_zones, recorded_zones
    from offline.mocks import WorkshopMocks as Account
    from workshop.config import ConfigError

    regular = {"filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]}
    for region in sorted(r.value for r in pulumi_aws.Region):
        if region in recorded_zones():
            answer = availability_zones(Account(region), regular)
            assert len(answer["names"]) >= 2 and all(n.startswith(region) for n in answer["names"]), region
            assert all(z.startswith(answer["zoneIds"][0].split("-az")[0]) for z in answer["zoneIds"]), region
        else:
            with pytest.raises(ConfigError) as err:
                availability_zones(Account(region), regular)
            assert err.value.problems[0].startswith(f"aws:region: {region!r} has no availability zones recorded for "
                                                    "offline plans: add the region's regular zones to offline/")
    assert len(recorded_zones()) >= 36


def test_only_regular_zones_eks_accepts_are_used(monkeypatch):
    """The program asks AWS for regular zones without EKS's excluded zone IDs (filters on the invoke): in
    us-east-1 the zone paired with use1-az3 is never used, nor an opted-in Local Zone that sorts first."""
    from offline import mock_handlers

    recorded = mock_handlers.recorded_zones()
    east = {**recorded["us-east-1"], "optIn": [{"name": "us-east-1-aaa-1a", "zoneId": "use1-aaa1-az1"}]}
    monkeypatch.setattr(mock_handlers, "recorded_zones", lambda: {**recorded, "us-east-1": east})
    run = run_stack("dev", overrides={"aws:region": "us-east-1", "eks-workshop:tags": {"t": "zones"}})
    zones = sorted(s.plain_inputs["availabilityZone"] for s in run.of_type(SUBNET) if s.name.startswith("network-private-"))
    excluded = east["names"][east["zoneIds"].index("use1-az3")]
    assert excluded not in zones and "us-east-1-aaa-1a" not in zones and len(zones) == 3
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1d"]


def test_a_region_without_recorded_zones_stops_the_plan_as_a_config_error(plan_cli, program_copy, tmp_path):
    text = (program_copy / "Pulumi.dev.yaml").read_text().replace("aws:region: ap-northeast-2", "aws:region: cn-north-1")
    (program_copy / "Pulumi.dev.yaml").write_text(text)
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert "aws:region: 'cn-north-1' has no availability zones recorded for offline plans: add the region's regular " \
           "zones to offline/availability_zones.json (`aws ec2 describe-availability-zones --region cn-north-1 " \
           "--filters Name=opt-in-status,Values=opt-in-not-required`)" in result.stderr
