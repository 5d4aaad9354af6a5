"""EKS Auto Mode: the dev-auto stack (the workshop's fastpath cluster) under the mock engine, what a
stack with Auto Mode may not set, and how it fits beside dev."""

from __future__ import annotations

import json

import pytest

from offline.runner import load_stack_config, run_stack
from workshop import labs
from workshop.config import ConfigError, ide_role_name, parse

CLUSTER = "aws:eks/cluster:Cluster"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
AUTO = load_stack_config("dev-auto")


@pytest.fixture(scope="module")
def auto():
    return run_stack("dev-auto")


def attached(run, role_name: str) -> set[str]:
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name == role_name)
    return {a.plain_inputs["policyArn"].rsplit("/", 1)[1] for a in run.of_type(ATTACHMENT)
            if a.plain_inputs["role"] == role.outputs["name"]}


def test_dev_auto_is_the_workshops_cluster_auto(auto):
    recorded = labs.auto_cluster()
    assert recorded is not None
    cluster = auto.one(CLUSTER).plain_inputs
    dev_name = load_stack_config("dev")["eks-workshop:cluster"]["name"]
    assert cluster["name"] == dev_name + recorded["nameSuffix"] and cluster["version"] == recorded["version"]
    assert cluster["computeConfig"]["nodePools"] == recorded["nodePools"] and cluster["computeConfig"]["enabled"]
    assert (cluster["vpcConfig"]["endpointPrivateAccess"], cluster["vpcConfig"]["endpointPublicAccess"]) == (
        recorded["endpointPrivateAccess"], recorded["endpointPublicAccess"])
    assert auto.one("aws:ec2/vpc:Vpc").plain_inputs["cidrBlock"] == recorded["vpcCidr"]
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert {k: cluster["tags"][k] for k in ("created-by", "env", "karpenter.sh/discovery")} == {
        "created-by": "eks-workshop-v2", "env": "eks-workshop-auto", "karpenter.sh/discovery": "eks-workshop-auto"}
    assert "remoteNetworkConfig" not in cluster


def test_auto_mode_runs_compute_storage_and_load_balancing_itself(auto):
    cluster = auto.one(CLUSTER)
    inputs = cluster.plain_inputs
    node_role = next(r for r in auto.of_type("aws:iam/role:Role") if r.name == "node-role")
    assert inputs["computeConfig"]["nodeRoleArn"] == node_role.outputs["arn"]
    assert inputs["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert inputs["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    assert inputs["bootstrapSelfManagedAddons"] is False
    # Nodes launch as soon as a pod is pending: the node role's policies come first.
    attachments = [a for a in auto.of_type(ATTACHMENT) if a.name.startswith("node-role-")]
    assert attachments and all(a.urn in cluster.dependencies for a in attachments)
    assert attached(auto, "cluster-role") == {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController",
                                              "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"}
    assert attached(auto, "node-role") == {"AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"}
    trust = json.loads(next(r for r in auto.of_type("aws:iam/role:Role") if r.name == "cluster-role")
                       .plain_inputs["assumeRolePolicy"])["Statement"][0]
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]


def test_no_node_group_and_only_the_add_ons_auto_mode_does_not_run(auto):
    assert auto.of_type("aws:eks/nodeGroup:NodeGroup") == auto.of_type("aws:ec2/launchTemplate:LaunchTemplate") == []
    assert [a.plain_inputs["addonName"] for a in auto.of_type("aws:eks/addon:Addon")] == ["metrics-server"]
    assert [r for r in auto.of_type("aws:iam/role:Role") if r.name == "vpc-cni-irsa"] == []
    gate = auto.one("kubernetes:apps/v1:Deployment").plain_inputs
    assert gate["spec"]["template"]["spec"]["nodeSelector"] == {"eks.amazonaws.com/compute-type": "auto"}
    assert json.loads(json.dumps(auto.outputs["nodeGroupNames"])) == []


def test_standard_stacks_set_none_of_it(dev, staging):
    for run in (dev, staging):
        inputs = run.one(CLUSTER).plain_inputs
        assert not {"computeConfig", "storageConfig", "bootstrapSelfManagedAddons"} & set(inputs)
        assert "elasticLoadBalancing" not in inputs["kubernetesNetworkConfig"]


def test_devs_ide_works_on_the_auto_cluster():
    # The IDE names the auto cluster as the workshop does, and dev-auto makes dev's IDE role cluster-admin
    # by the ARN it will have (same pinned account).
    dev = load_stack_config("dev")
    account = dev["aws:allowedAccountIds"][0]
    assert AUTO["aws:allowedAccountIds"] == dev["aws:allowedAccountIds"]
    ide_role = f"arn:aws:iam::{account}:role/{ide_role_name(dev['eks-workshop:cluster']['name'])}"
    assert AUTO["eks-workshop:cluster"]["adminPrincipals"] == [ide_role]
    assert AUTO["eks-workshop:cluster"]["name"] == dev["eks-workshop:cluster"]["name"] + "-auto"
    bootstrap = run_stack("dev").one("aws:ec2/instance:Instance").plain_inputs["userData"]
    assert "readonly CLUSTER_AUTO_NAME=eks-workshop-auto" in bootstrap.splitlines()


def with_auto(**changes) -> dict:
    values = json.loads(json.dumps(AUTO))
    for key, value in changes.items():
        values[key] = value
    return values


@pytest.mark.parametrize("changes,message", [
    ({"eks-workshop:nodeGroups": {"default": {}}},
     "eks-workshop:nodeGroups: ['default'] with cluster.autoMode on: Auto Mode launches the nodes; set nodeGroups to {}"),
    ({"eks-workshop:vpcCni": {"prefixDelegation": False}},
     "eks-workshop:vpcCni: ['prefixDelegation'] changed with cluster.autoMode on: Auto Mode runs its own pod networking"),
    ({"eks-workshop:addons": {"coredns": "catalogue", "metrics-server": "catalogue"}},
     "eks-workshop:addons.coredns: 'coredns' with cluster.autoMode on: Auto Mode runs it itself"),
    ({"eks-workshop:cluster": {**AUTO["eks-workshop:cluster"], "autoMode": {"enabled": True, "nodePools": []}}},
     "eks-workshop:cluster.autoMode.nodePools: [] leaves Auto Mode no node pool to run pods on"),
    ({"eks-workshop:cluster": {**AUTO["eks-workshop:cluster"], "authenticationMode": "CONFIG_MAP", "adminPrincipals": []}},
     "eks-workshop:cluster.authenticationMode: CONFIG_MAP with cluster.autoMode on"),
    ({"eks-workshop:cluster": {**AUTO["eks-workshop:cluster"], "autoMode": {"enabled": True, "nodePools": ["gpu"]}}},
     "eks-workshop:cluster.autoMode.nodePools[0]: 'gpu'"),
], ids=["node-groups", "vpc-cni", "addons", "no-pool", "config-map", "unknown-pool"])
def test_what_auto_mode_does_not_allow_is_refused_with_its_key(changes, message):
    with pytest.raises(ConfigError) as err:
        parse(with_auto(**changes))
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_a_standard_stack_without_node_groups_is_told_about_auto_mode():
    with pytest.raises(ConfigError) as err:
        parse({**load_stack_config("staging"), "eks-workshop:nodeGroups": {}})
    assert "eks-workshop:nodeGroups: {} must define at least one node group (CoreDNS needs nodes), or turn on " \
           "cluster.autoMode" in err.value.problems


def standard_variant(protect: bool = False) -> dict:
    """dev-auto as a standard cluster: Auto Mode off, the default node group."""
    return {"eks-workshop:cluster": {**AUTO["eks-workshop:cluster"], "autoMode": {"enabled": False}},
            "eks-workshop:nodeGroups": {"default": {"labels": {"workshop-default": "yes"}}},
            "eks-workshop:protect": protect}


def test_switching_between_standard_and_auto_mode_replaces_the_cluster_and_a_protected_one_refuses():
    # bootstrapSelfManagedAddons is ForceNew in the provider and must be false for an Auto Mode cluster;
    # the provider's default (true) stands in a standard one: either way the cluster is replaced.
    from offline.plan_diff import diff_plans
    from offline.plan_model import Plan

    protected = {"standard": Plan.of_run(run_stack("dev-auto", overrides=standard_variant(True))),
                 "auto": Plan.of_run(run_stack("dev-auto", overrides={"eks-workshop:protect": True}))}
    # The same plans with protection off (what the engine reads from the base): no extra program runs.
    unprotected = {k: Plan.from_json({**p.to_json(), "resources": [{**r, "protect": False} for r in p.to_json()["resources"]]})
                   for k, p in protected.items()}
    for plans, protect in ((protected, True), (unprotected, False)):
        for before, after in ((plans["standard"], plans["auto"]), (plans["auto"], plans["standard"])):
            diff = diff_plans(before, after)
            change = next(c for c in diff.changed if c.type == CLUSTER)
            assert change.action == "replace" and "bootstrapSelfManagedAddons" in change.replaced_by
            refused = [r for r in diff.refusals if "cluster" in r and "protect" in r]
            assert bool(refused) == protect, diff.refusals


def test_hybrid_nodes_on_auto_mode_keep_kube_proxy_and_coredns():
    # EKS allows hybrid nodes on an Auto Mode cluster; they are not Auto Mode's nodes, so kube-proxy and
    # CoreDNS still run as add-ons (and may be listed), the rest stays Auto Mode's.
    hybrid = {"eks-workshop:cluster": {**AUTO["eks-workshop:cluster"],
                                       "remoteNetworks": {"nodes": ["10.52.0.0/16"], "pods": ["10.53.0.0/16"]}}}
    run = run_stack("dev-auto", overrides=hybrid)
    assert sorted(a.plain_inputs["addonName"] for a in run.of_type("aws:eks/addon:Addon")) == [
        "coredns", "kube-proxy", "metrics-server"]
    assert run.one(CLUSTER).plain_inputs["remoteNetworkConfig"]["remoteNodeNetworks"] == {"cidrs": ["10.52.0.0/16"]}
    with pytest.raises(ConfigError) as err:
        parse(with_auto(**hybrid, **{"eks-workshop:addons": {"kube-proxy": "catalogue", "vpc-cni": "catalogue"}}))
    assert err.value.problems == ["eks-workshop:addons.vpc-cni: unknown add-on (known: coredns, kube-proxy, "
                                  "metrics-server, eks-pod-identity-agent; vpc-cni is vpcCni)"]
    with pytest.raises(ConfigError) as err:
        parse(with_auto(**hybrid, **{"eks-workshop:addons": {"kube-proxy": "catalogue", "eks-pod-identity-agent": "catalogue"}}))
    assert err.value.problems == ["eks-workshop:addons.eks-pod-identity-agent: 'eks-pod-identity-agent' with "
                                  "cluster.autoMode on: Auto Mode runs it itself"]


def test_dev_and_dev_auto_are_one_estate_with_their_own_networks():
    import ipaddress

    dev = load_stack_config("dev")
    assert (AUTO["aws:region"], AUTO["aws:allowedAccountIds"]) == (dev["aws:region"], dev["aws:allowedAccountIds"])
    mine, devs = (ipaddress.ip_network(s["eks-workshop:network"]["vpcCidr"]) for s in (AUTO, dev))
    assert not mine.overlaps(devs) and AUTO["eks-workshop:cluster"]["name"] != dev["eks-workshop:cluster"]["name"]
