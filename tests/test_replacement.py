"""Replace or update: the diff decides from rules generated from the providers' schemas."""

from __future__ import annotations

import functools
import json

import pytest

from offline.plan_diff import diff_plans
from offline.plan_model import Diff, Plan
from offline.replacement import changed_paths, has_rules, replacement, rules
from offline.runner import STACKS, load_stack_config, run_stack


@functools.cache
def plan_of(stack: str, overrides: str = "{}") -> Plan:
    return Plan.of_run(run_stack(stack, overrides=json.loads(overrides)))


def actions(stack: str, **overrides) -> tuple[dict[str, tuple[str, list[str]]], Diff]:
    config = load_stack_config(stack)
    changed = {}
    for key, change in overrides.items():
        value = json.loads(json.dumps(config.get(key, {})))
        change(value)
        changed[key] = value
    diff = diff_plans(plan_of(stack), plan_of(stack, json.dumps(changed, sort_keys=True)))
    return {c.urn.rsplit("::", 1)[1]: (c.action, c.replaced_by) for c in diff.changed}, diff


def test_every_resource_type_the_program_uses_has_rules():
    types = {r.type for s in STACKS for r in plan_of(s).custom_resources()}
    assert [t for t in sorted(types) if not has_rules(t)] == []
    provenance = rules()["provenance"]
    # Where the rules come from, including what could not be pinned exactly (README, "Diff").
    assert provenance["pulumi-aws"] == "7.51.1" and provenance["generated_by"] == "scripts/generate_replacement_rules.py"
    assert "hashicorp/terraform-provider-aws@1a5174b1" in provenance["terraform-provider-aws"]
    assert all(entry.get("source") for entry in rules()["types"].values())


def test_the_rules_were_generated_for_the_terraform_resource_the_table_names():
    # scripts/generate_replacement_rules.py reads its type list from the table's `terraform` column.
    from offline.resource_types import TYPES

    bridged = {t: row.terraform for t, row in TYPES.items() if row.terraform}
    assert {t: entry["terraform"] for t, entry in rules()["types"].items()} == bridged


def test_an_s3_endpoint_change_of_route_tables_updates_and_of_service_replaces():
    from offline.plan_diff import diff_plans

    dev = plan_of("dev")
    fewer_zones = plan_of("dev", json.dumps({"eks-workshop:network": {
        **load_stack_config("dev")["eks-workshop:network"], "azCount": 2,
        "availabilityZones": ["ap-northeast-2a", "ap-northeast-2b"]}}, sort_keys=True))
    change = next(c for c in diff_plans(dev, fewer_zones).changed if c.type == "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert (change.action, change.replaced_by) == ("update", []) and "routeTableIds" in str(change.properties)
    assert replacement("aws:ec2/vpcEndpoint:VpcEndpoint", {"serviceName": "com.amazonaws.a.s3"},
                       {"serviceName": "com.amazonaws.b.s3"})[0] == ["serviceName"]


def test_a_vpc_cidr_change_replaces_the_vpc_and_its_subnets_with_a_warning():
    found, diff = actions("dev", **{"eks-workshop:network": lambda n: n.update(vpcCidr="10.43.0.0/16")})
    assert found["network-vpc"] == ("replace", ["cidrBlock"])
    subnets = {k: v for k, v in found.items() if k.startswith(("network-public-", "network-private-"))}
    assert len(subnets) == 6 and all(v == ("replace", ["cidrBlock"]) for v in subnets.values())
    assert any(w.startswith("aws:ec2/vpc:Vpc network-vpc: changing cidrBlock replaces it") for w in diff.warnings)


def test_a_node_label_updates_the_node_group_in_place():
    found, diff = actions("staging", **{"eks-workshop:nodeGroups": lambda g: g["default"]["labels"].update(team="a")})
    # The readiness gate selects the first group's labels, so its Deployment follows, in place too.
    assert found == {"nodes-default": ("update", []), "readiness-deployment": ("update", [])}
    assert diff.warnings == []


def test_an_instance_type_change_replaces_the_node_group():
    found, _ = actions("staging", **{"eks-workshop:nodeGroups": lambda g: g["default"].update(
        instanceTypes=["m5.xlarge"])})
    assert found["nodes-default"] == ("replace", ["instanceTypes"])


def test_a_named_node_group_is_replaced_delete_first_a_generated_one_create_first():
    """The bridge deletes first when the program sets an auto-named name (nodeGroupName): dev keeps the
    workshop's `default` and would lose every node first; staging generates its name."""
    bigger = {"eks-workshop:nodeGroups": lambda g: g["default"].update(instanceTypes=["m5.xlarge"])}
    _, dev = actions("dev", **bigger)
    _, staging = actions("staging", **bigger)
    dev_nodes = next(c for c in dev.changed if c.urn.endswith("::nodes-default"))
    staging_nodes = next(c for c in staging.changed if c.urn.endswith("::nodes-default"))
    assert (dev_nodes.action, dev_nodes.delete_before_replace) == ("replace", True)
    assert (staging_nodes.action, staging_nodes.delete_before_replace) == ("replace", False)
    assert dev_nodes.to_json()["deleteBeforeReplace"] is True and "deleteBeforeReplace" not in staging_nodes.to_json()
    from offline.plan_render import render_diff

    text = "\n".join(render_diff(dev, "base"))
    assert ("  +-aws:eks/nodeGroup:NodeGroup  nodes-default  (replaced: instanceTypes forces it)\n"
            "      ! deleted before its replacement is created: every node of the group is terminated first") in text
    assert "deleted before" not in "\n".join(render_diff(staging, "base"))


def test_auto_named_inputs_come_from_the_provider():
    from offline.replacement import auto_named_input, provider_deletes_first

    assert auto_named_input("aws:eks/nodeGroup:NodeGroup") == "nodeGroupName"  # resources.go AutoName
    assert auto_named_input("aws:iam/role:Role") == "name"  # SetAutonaming: a TF `name` input
    assert auto_named_input("aws:ec2/vpc:Vpc") is None and auto_named_input("random:index/randomPassword:RandomPassword") is None
    assert provider_deletes_first("aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/x"})
    assert not provider_deletes_first("aws:iam/role:Role", {"assumeRolePolicy": "{}"})


def test_a_cluster_rename_replaces_and_a_version_or_log_change_updates():
    found, _ = actions("staging", **{"eks-workshop:cluster": lambda c: c.update(name="eks-workshop-staging-2")})
    assert found["cluster"] == ("replace", ["name"])
    found, _ = actions("staging", **{"eks-workshop:cluster": lambda c: c.update(logRetentionDays=60)})
    assert found["cluster-logs"] == ("update", [])


def test_user_data_replaces_the_ide_only_because_the_program_says_so():
    old = {"ami": "ami-1", "userData": "#!/bin/bash\necho 1\n", "userDataReplaceOnChange": True}
    new = {**old, "userData": "#!/bin/bash\necho 2\n"}
    assert replacement("aws:ec2/instance:Instance", old, new)[0] == ["userData"]
    assert replacement("aws:ec2/instance:Instance", {**old, "userDataReplaceOnChange": False},
                       {**new, "userDataReplaceOnChange": False})[0] == []


@pytest.mark.parametrize("rtype,old,new,forced", [
    ("aws:kms/key:Key", {"description": "a"}, {"description": "b"}, []),
    ("aws:eks/addon:Addon", {"addonVersion": "v1"}, {"addonVersion": "v2"}, []),
    ("aws:eks/addon:Addon", {"addonName": "coredns"}, {"addonName": "kube-proxy"}, ["addonName"]),
    ("aws:iam/role:Role", {"name": "a"}, {"name": "b"}, ["name"]),
    ("aws:cloudwatch/logGroup:LogGroup", {"name": "/a"}, {"name": "/b"}, ["name"]),
    ("random:index/randomPassword:RandomPassword", {"length": 16}, {"length": 32}, ["length"]),
    ("kubernetes:apps/v1:Deployment", {"metadata": {"labels": {"a": "1"}}}, {"metadata": {"labels": {"a": "2"}}}, []),
    ("kubernetes:core/v1:Namespace", {"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}, ["metadata.name"]),
])
def test_rules_per_type_family(rtype, old, new, forced):
    assert replacement(rtype, old, new)[0] == forced


def test_pulumis_replace_on_changes_option_forces_a_replacement():
    assert replacement("aws:kms/key:Key", {"description": "a"}, {"description": "b"}, ["description"])[0] == \
        ["description"]
    assert replacement("aws:kms/key:Key", {"description": "a"}, {"description": "b"}, ["*"])[0] == ["description"]
    assert replacement("aws:kms/key:Key", {"description": "a"}, {"description": "b"}, ["policy"])[0] == []


def test_changed_paths_descend_into_lists_and_maps():
    assert changed_paths({"a": [{"b": 1, "c": 2}]}, {"a": [{"b": 1, "c": 3}]}) == {"a.c"}
    assert changed_paths({"a": [1]}, {"a": [1, 2]}) == {"a"}


def test_the_cluster_rules_know_auto_mode_and_remote_networks_from_a_provider_that_has_them():
    # From a provider source with Auto Mode (2025 and later): compute, storage and load balancing update in
    # place, bootstrapSelfManagedAddons replaces, and so does a changed Auto Mode node role; remote networks
    # update in place (the provider dropped their ForceNew).
    old: dict = {"computeConfig": {"enabled": False, "nodePools": [], "nodeRoleArn": ""}, "bootstrapSelfManagedAddons": True}
    on: dict = {"computeConfig": {"enabled": True, "nodePools": ["system"], "nodeRoleArn": "arn:a"},
          "bootstrapSelfManagedAddons": True}
    assert replacement("aws:eks/cluster:Cluster", old, on)[0] == []
    assert replacement("aws:eks/cluster:Cluster", on, {**on, "bootstrapSelfManagedAddons": False})[0] == [
        "bootstrapSelfManagedAddons"]
    # A changed node role: the provider's CustomizeDiff decides (an existing role changed), so "may replace".
    forced, maybe = replacement("aws:eks/cluster:Cluster", on, {**on, "computeConfig": {**on["computeConfig"],
                                                                                     "nodeRoleArn": "arn:b"}})
    assert forced == [] and any(m.startswith("computeConfig.nodeRoleArn") for m in maybe)
    remote = {"remoteNetworkConfig": {"remoteNodeNetworks": {"cidrs": ["10.52.0.0/16"]}}}
    assert replacement("aws:eks/cluster:Cluster", remote,
                       {"remoteNetworkConfig": {"remoteNodeNetworks": {"cidrs": ["10.62.0.0/16"]}}})[0] == []
