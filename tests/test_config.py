"""The config model: defaults are the workshop's values, and every bad input is rejected with its key."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Mapping

import pytest

from offline.runner import load_stack_config, run_stack
from workshop import labs
from workshop.config import ConfigError, StackConfig, parse
from workshop.subnets import subnet_layout
from workshop.versions import catalogue

DEV = load_stack_config("dev")
# dev with its version pins on the catalogue (dev runs the workshop's minor and AMI release): the base the
# rules below are judged on, so their messages name the catalogue's default version.
ON_CATALOGUE = copy.deepcopy(DEV)
ON_CATALOGUE["eks-workshop:cluster"]["version"] = catalogue().default
del ON_CATALOGUE["eks-workshop:nodeGroups"]["default"]["releaseVersion"]


def with_key(key: str, path: list[str], value) -> dict:
    """dev on the catalogue with one nested value replaced (path into the object at `key`)."""
    cfg = copy.deepcopy(ON_CATALOGUE)
    if not path:
        cfg[key] = value
        return cfg
    node = cfg.setdefault(key, {})
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return cfg


def problems_of(values: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(values)
    return err.value.problems


def test_dev_file_and_defaults_are_the_same_model():
    # Pulumi.dev.yaml spells out the workshop's config; the model's defaults must say the same thing, but for the
    # versions and the hop limit dev takes from the workshop (docs/security.md).
    dev = parse(DEV)
    defaults = parse({"aws:region": "ap-northeast-2"})
    assert dev.cluster.remote_networks == defaults.cluster.remote_networks
    workshop = {"version", "release_version", "metadata_hop_limit"}
    assert dev.node_groups["default"].model_dump(exclude=workshop) == \
        defaults.node_groups["default"].model_dump(exclude=workshop)
    assert dev.vpc_cni.model_dump(exclude={"version"}) == defaults.vpc_cni.model_dump(exclude={"version"})
    assert dev.network.vpc_cidr == defaults.network.vpc_cidr == "10.42.0.0/16"
    assert dev.cluster.name == defaults.cluster.name
    assert (dev.cluster.version, defaults.cluster.version) == (labs.kubernetes_version(), catalogue().default)


def test_defaults_are_the_spec_values():
    cfg = StackConfig()
    # The workshop's 1.31 pins are superseded: the version is the catalogue's default.
    assert cfg.cluster.name == "eks-workshop" and cfg.cluster.version == catalogue().default
    assert cfg.cluster.remote_networks.nodes == ("10.52.0.0/16",)
    assert cfg.cluster.remote_networks.pods == ("10.53.0.0/16",)
    group = cfg.node_groups["default"]
    assert (group.instance_types, group.min_size, group.desired_size, group.max_size) == (("m5.large",), 3, 3, 6)
    assert group.release_version == "catalogue" and group.max_unavailable_percentage == 50
    assert dict(group.labels) == {"workshop-default": "yes"}
    assert cfg.vpc_cni.version == "catalogue"
    assert cfg.availability_zones == ("ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c")
    assert cfg.base_tags == {"karpenter.sh/discovery": "eks-workshop", "created-by": "eks-workshop-v2",
                             "env": "eks-workshop"}


def test_subnet_layout_is_eksctls_for_three_zones_and_computed_otherwise():
    public, private = subnet_layout("10.42.0.0/16", 3)
    assert public == ["10.42.0.0/19", "10.42.32.0/19", "10.42.64.0/19"]
    assert private == ["10.42.96.0/19", "10.42.128.0/19", "10.42.160.0/19"]
    public, private = subnet_layout("10.42.0.0/16", 2)
    assert public == ["10.42.0.0/18", "10.42.64.0/18"] and private == ["10.42.128.0/18", "10.42.192.0/18"]
    public, private = subnet_layout("10.0.0.0/20", 6)
    assert len(set(public + private)) == 12 and all(c.endswith("/24") for c in public + private)


def test_scalars_arrive_as_strings_from_the_cli_and_are_typed_by_the_model():
    from workshop.config.load import _scalar

    assert _scalar("true") is True and _scalar("false") is False and _scalar("x") == "x"


# One case per rejected class: (config key, path, bad value, expected message fragment).
REJECTED = [
    ("eks-workshop:clustr", [], {"name": "x"}, "eks-workshop:clustr: unknown key"),
    ("eks-workshop:cluster", ["nmae"], "x", "eks-workshop:cluster.nmae: unknown key"),
    ("eks-workshop:nodeGroups", ["default", "minSzie"], 3, "eks-workshop:nodeGroups.default.minSzie: unknown key"),
    ("eks-workshop:network", ["vpcCidr"], "10.42.0.0/33", "eks-workshop:network.vpcCidr: '10.42.0.0/33' is not a valid CIDR"),
    ("eks-workshop:network", ["vpcCidr"], "10.42.0.1/16", "eks-workshop:network.vpcCidr: '10.42.0.1/16' is not a valid CIDR"),
    ("eks-workshop:cluster", ["publicAccessCidrs"], ["1.2.3.4/40"], "eks-workshop:cluster.publicAccessCidrs[0]: '1.2.3.4/40' is not a valid CIDR"),
    ("eks-workshop:cluster", ["remoteNetworks", "nodes"], ["100.64.0.0/16"], "eks-workshop:cluster.remoteNetworks.nodes[0]: '100.64.0.0/16' must be within RFC 1918"),
    ("eks-workshop:cluster", ["remoteNetworks", "pods"], ["10.52.128.0/17"], "eks-workshop:cluster.remoteNetworks.pods[0]: '10.52.128.0/17' overlaps eks-workshop:cluster.remoteNetworks.nodes[0] (10.52.0.0/16)"),
    ("eks-workshop:cluster", ["remoteNetworks", "nodes"], ["10.42.0.0/20"], "eks-workshop:cluster.remoteNetworks.nodes[0]: '10.42.0.0/20' overlaps the VPC CIDR 10.42.0.0/16"),
    ("eks-workshop:cluster", ["remoteNetworks", "pods"], ["172.20.0.0/18"], "eks-workshop:cluster.remoteNetworks.pods[0]: '172.20.0.0/18' overlaps the service CIDR 172.20.0.0/16"),
    ("eks-workshop:cluster", ["remoteNetworks", "nodes"], ["fd00::/64"], "eks-workshop:cluster.remoteNetworks.nodes[0]: 'fd00::/64' is not IPv4"),
    ("eks-workshop:cluster", ["authenticationMode"], "CONFIG_MAP", "eks-workshop:cluster.authenticationMode: CONFIG_MAP is not supported with remoteNetworks"),
    ("eks-workshop:cluster", ["authenticationMode"], "IAM", "eks-workshop:cluster.authenticationMode: 'IAM' must be one of API, API_AND_CONFIG_MAP, CONFIG_MAP"),
    ("eks-workshop:cluster", ["logTypes"], ["api", "audits"], "eks-workshop:cluster.logTypes[1]: 'audits' must be one of api, audit, authenticator, controllerManager, scheduler"),
    ("eks-workshop:cluster", ["version"], "1.31.2", "eks-workshop:cluster.version: '1.31.2' is not a Kubernetes minor version"),
    ("eks-workshop:cluster", ["version"], 1.3, "eks-workshop:cluster.version: 1.3 must be a string: quote the value as written in the file (YAML reads an unquoted 1.30 as the number 1.3)"),
    ("eks-workshop:cluster", ["version"], "1.30", "eks-workshop:cluster.version: '1.30' is not in the version catalogue (1.31, 1.32, 1.33, 1.34, 1.35, 1.36; workshop/kubernetes_versions.json)"),
    ("eks-workshop:cluster", ["publicAccessCidrs"], ["198.51.100.0/24"], "eks-workshop:readinessGate: true, but deployers ['0.0.0.0/0'] (cluster.deployerCidrs) can't reach the Kubernetes API (publicAccessCidrs ['198.51.100.0/24']): deploy from inside those ranges"),
    ("eks-workshop:cluster", ["endpointPublicAccess"], False, "eks-workshop:cluster.deployerCidrs: '0.0.0.0/0': only the private endpoint is on and the readiness gate talks to the API, but the private endpoint can't answer the whole internet: list the runners' own ranges"),
    ("eks-workshop:cluster", ["deployerCidrs"], ["10.0.0.0/33"], "eks-workshop:cluster.deployerCidrs[0]: '10.0.0.0/33' is not a valid CIDR"),
    ("eks-workshop:network", ["vpcCidr"], "10.42.0.0/24", "eks-workshop:network.vpcCidr: '10.42.0.0/24' gives /27 private subnets, too small for the nodes at maxSize: nodeGroups.default.maxSize 6 put 2 nodes in a zone, needing 16 free aligned /28 blocks (each node's pods with prefix delegation, a warm prefix) and 8 addresses; each has 0 such blocks: widen network.vpcCidr or lower maxSize"),
    ("eks-workshop:cluster", ["upgradeSupportType"], "NEVER", "eks-workshop:cluster.upgradeSupportType: 'NEVER' must be one of STANDARD, EXTENDED"),
    ("eks-workshop:cluster", ["rollback"], {"fromVersion": "1.36"}, "eks-workshop:cluster.rollback: set both fromVersion and upgradedOn, or neither"),
    ("eks-workshop:cluster", ["rollback"], {"fromVersion": "1.34", "upgradedOn": "2026-11-24"}, "eks-workshop:cluster.rollback.fromVersion: '1.34' must be one minor above cluster.version 1.35: EKS rolls back one minor only"),
    ("eks-workshop:cluster", ["rollback"], {"fromVersion": "1.36", "upgradedOn": "2026-11-10"}, "eks-workshop:cluster.rollback.upgradedOn: 2026-11-10 is 15 days before the plan date 2026-11-25: EKS rolls back only within 7 days"),
    ("eks-workshop:cluster", ["rollback"], {"fromVersion": "1.36", "upgradedOn": "last week"}, "eks-workshop:cluster.rollback.upgradedOn: 'last week' is not a date"),
    ("eks-workshop:cluster", ["rollback"], {"fromVersion": "1.36", "upgradedOn": dt.date(2026, 11, 24)}, "eks-workshop:cluster.rollback.upgradedOn: 2026-11-24 must be a string: quote the date"),
    ("eks-workshop:cluster", ["serviceCidr"], "10.42.0.0/16", "eks-workshop:cluster.serviceCidr: '10.42.0.0/16' overlaps the VPC 10.42.0.0/16"),
    ("eks-workshop:cluster", ["adminPrincipals"], ["arn:aws:iam::123:role/x"], "eks-workshop:cluster.adminPrincipals[0]: 'arn:aws:iam::123:role/x' is not an IAM role or user ARN"),
    ("eks-workshop:network", ["vpcCidr"], "10.42.0.0/27", "eks-workshop:network.vpcCidr: '10.42.0.0/27' is too small for 6 subnets (would need /30"),
    ("eks-workshop:network", ["azCount"], 1, "eks-workshop:network.azCount: 1 must be 2 to 6"),
    ("eks-workshop:network", ["natGateways"], "none", "eks-workshop:network.natGateways: 'none' must be one of single, perAz"),
    ("eks-workshop:network", ["availabilityZones"], ["us-east-1a", "us-east-1b", "us-east-1c"], "eks-workshop:network.availabilityZones[0]: 'us-east-1a' is not a zone of ap-northeast-2"),
    ("eks-workshop:nodeGroups", ["default", "minSize"], 4, "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3"),
    ("eks-workshop:nodeGroups", ["default", "desiredSize"], 7, "eks-workshop:nodeGroups.default: desiredSize 7 > maxSize 6"),
    ("eks-workshop:nodeGroups", ["default", "maxSize"], 0, "eks-workshop:nodeGroups.default: maxSize 0 < 1"),
    ("eks-workshop:nodeGroups", ["default", "minSize"], "3", "eks-workshop:nodeGroups.default.minSize: '3' must be a whole number"),
    ("eks-workshop:nodeGroups", ["default", "maxUnavailablePercentage"], 0, "eks-workshop:nodeGroups.default.maxUnavailablePercentage: 0 must be 1 to 100"),
    ("eks-workshop:nodeGroups", ["default", "maxUnavailablePercentage"], 101, "eks-workshop:nodeGroups.default.maxUnavailablePercentage: 101 must be 1 to 100"),
    ("eks-workshop:nodeGroups", ["default", "instanceTypes"], [], "eks-workshop:nodeGroups.default.instanceTypes: [] must list at least one instance type"),
    ("eks-workshop:nodeGroups", ["default", "instanceTypes"], [""], "eks-workshop:nodeGroups.default.instanceTypes[0]: '' is not an EC2 instance type"),
    ("eks-workshop:nodeGroups", ["default", "releaseVersion"], "1.31.3", "eks-workshop:nodeGroups.default.releaseVersion: '1.31.3' is not an AMI release"),
    ("eks-workshop:nodeGroups", ["default", "releaseVersion"], "1.34.9-20260625", "eks-workshop:nodeGroups.default.releaseVersion: '1.34.9-20260625' is for Kubernetes 1.34, not the node group's 1.35"),
    ("eks-workshop:nodeGroups", ["default", "version"], "1.36", "eks-workshop:nodeGroups.default.version: '1.36' is newer than the control plane's 1.35: kubelet may never be newer"),
    ("eks-workshop:nodeGroups", ["default", "version"], "1.31", "eks-workshop:nodeGroups.default.version: '1.31' is 4 minors behind the control plane's 1.35: kubelet may lag by at most 3"),
    ("eks-workshop:nodeGroups", ["default", "version"], "1.29", "eks-workshop:nodeGroups.default.version: '1.29' is not in the version catalogue (1.31, "),
    ("eks-workshop:nodeGroups", ["default", "capacityType"], "RESERVED", "eks-workshop:nodeGroups.default.capacityType: 'RESERVED' must be one of ON_DEMAND, SPOT"),
    ("eks-workshop:nodeGroups", ["default", "taints"], [{"key": "a", "effect": "NoSchedule"}], "eks-workshop:nodeGroups.default.taints[0].effect: 'NoSchedule' must be one of"),
    ("eks-workshop:nodeGroups", ["default", "diskSize"], 10, "eks-workshop:nodeGroups.default.diskSize: 10 must be 20 to 16384 GiB"),
    ("eks-workshop:nodeGroups", [], {}, "eks-workshop:nodeGroups: {} must define at least one node group"),
    ("eks-workshop:vpcCni", ["version"], "1.19.2", "eks-workshop:vpcCni.version: '1.19.2' is not an add-on version"),
    ("eks-workshop:vpcCni", ["podSecurityGroupEnforcingMode"], "loose", "eks-workshop:vpcCni.podSecurityGroupEnforcingMode: 'loose' must be one of standard, strict"),
    ("eks-workshop:vpcCni", ["prefixDelegation"], "yes", "eks-workshop:vpcCni.prefixDelegation: 'yes' must be true or false"),
    ("eks-workshop:addons", [], {"coredns": "latest"}, "eks-workshop:addons.coredns: 'latest' is not an add-on version"),
    ("eks-workshop:addons", [], {"kube-proxy": "v1.34.1-eksbuild.2"}, "eks-workshop:addons.kube-proxy: 'v1.34.1-eksbuild.2' is for another Kubernetes minor: kube-proxy must match the cluster version 1.35"),
    ("eks-workshop:addons", [], {"vpc-cni": "v1.19.2-eksbuild.1"}, "eks-workshop:addons.vpc-cni: unknown add-on"),
    ("eks-workshop:tags", [], {"aws:owner": "me"}, "eks-workshop:tags.aws:owner: keys starting with 'aws:' are reserved"),
    ("eks-workshop:protect", [], "sometimes", "eks-workshop:protect: 'sometimes' must be true or false"),
    ("aws:region", [], "Seoul", "aws:region: 'Seoul' is not an AWS region name"),
    ("eks-workshop:ide", ["enabled"], "yes", "eks-workshop:ide.enabled: 'yes' must be true or false"),
    ("eks-workshop:ide", ["instanceTyp"], "t3.large", "eks-workshop:ide.instanceTyp: unknown key"),
    ("eks-workshop:ide", ["instanceType"], "t3", "eks-workshop:ide.instanceType: 't3' is not an EC2 instance type"),
    ("eks-workshop:ide", ["volumeSize"], 4, "eks-workshop:ide.volumeSize: 4 must be 8 to 16384 GiB"),
    ("eks-workshop:ide", ["vpcCidr"], "10.0.0.0/29", "eks-workshop:ide.vpcCidr: '10.0.0.0/29' must be a /16 to /28"),
    ("eks-workshop:ide", ["repositoryOwner"], "-bad-", "eks-workshop:ide.repositoryOwner: '-bad-' is not a GitHub user"),
    ("eks-workshop:ide", ["repositoryName"], "a b", "eks-workshop:ide.repositoryName: 'a b' is not a GitHub repository"),
    ("eks-workshop:ide", ["repositoryRef"], "main;reboot", "eks-workshop:ide.repositoryRef: 'main;reboot' is not a branch or tag name: contains ';'"),
    ("eks-workshop:ide", ["repositoryRef"], "a/../b", "eks-workshop:ide.repositoryRef: 'a/../b' is not a branch or tag"),
    ("eks-workshop:ide", ["repositoryRef"], "release.lock", "eks-workshop:ide.repositoryRef: 'release.lock' is not a branch or tag name: must not"),
    ("eks-workshop:ide", ["repositoryRef"], "x/.hidden", "eks-workshop:ide.repositoryRef: 'x/.hidden' is not a branch or tag name: has a path component starting with '.'"),
    ("eks-workshop:ide", ["repositoryOwner"], "aws--samples", "eks-workshop:ide.repositoryOwner: 'aws--samples' is not a GitHub user or organization name"),
    ("eks-workshop:ide", ["repositoryOwner"], "samples-", "eks-workshop:ide.repositoryOwner: 'samples-' is not a GitHub user"),
    ("eks-workshop:ide", ["repositoryName"], "..", "eks-workshop:ide.repositoryName: '..' is not a GitHub repository name"),
    # IAM names a role in at most 64 characters: 56 + len("-ide-role") is 65.
    ("eks-workshop:cluster", ["name"], "c" * 56, f"eks-workshop:cluster.name: {'c' * 56!r} is too long for the IDE role's name '{'c' * 56}-ide-role' (IAM: 64 characters)"),
    ("eks-workshop:ide", ["codeServerVersion"], "latest", "eks-workshop:ide.codeServerVersion: 'latest' is not a release"),
]


@pytest.mark.parametrize("key,path,value,message", REJECTED, ids=[m.split(":", 2)[1][:60] + f"#{i}"
                                                                   for i, (_, _, _, m) in enumerate(REJECTED)])
def test_rejected_config_names_key_value_and_rule(key, path, value, message):
    problems = problems_of(with_key(key, path, value))
    assert any(p.startswith(message) for p in problems), problems


def test_missing_region_is_reported():
    values = dict(DEV)
    del values["aws:region"]
    assert any(p.startswith("aws:region: missing") for p in problems_of(values))


def test_every_problem_is_reported_at_once():
    values = with_key("eks-workshop:nodeGroups", ["default", "minSize"], 4)
    values["eks-workshop:network"]["natGateways"] = "none"
    problems = problems_of(values)
    assert len(problems) == 2 and all(p.startswith("eks-workshop:") for p in problems)


def test_a_field_typo_does_not_hide_a_rule_across_the_other_fields():
    """An instance-type typo once hid minSize > desiredSize in the same group; an AMI mismatch hid the sizes."""
    group = {"instanceTypes": ["m5.lareg"], "minSize": 4, "desiredSize": 3, "maxSize": 6}
    problems = problems_of(with_key("eks-workshop:nodeGroups", ["default"], group))
    assert any("'m5.lareg' is not an instance type" in p for p in problems), problems
    assert "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in problems
    group = {"instanceTypes": ["m6g.large"], "minSize": 4, "desiredSize": 3}
    problems = problems_of(with_key("eks-workshop:nodeGroups", ["default"], group))
    assert "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in problems
    assert any(p.startswith("eks-workshop:nodeGroups.default.amiType:") for p in problems), problems


def test_a_rule_that_reads_a_broken_field_is_skipped_not_judged_on_its_default():
    """cluster.serviceCidr broken: the overlap rule that reads it can't be judged; the zone rule, which
    doesn't, still is."""
    values = with_key("eks-workshop:cluster", ["serviceCidr"], "not-a-cidr")
    values["eks-workshop:network"]["vpcCidr"] = "172.20.0.0/16"  # would overlap the default service CIDR
    values["eks-workshop:network"]["availabilityZones"] = ["us-east-1a", "ap-northeast-2b", "ap-northeast-2c"]
    problems = problems_of(values)
    assert [p for p in problems if "overlaps" in p] == []
    assert any(p.startswith("eks-workshop:cluster.serviceCidr: 'not-a-cidr'") for p in problems), problems
    assert "eks-workshop:network.availabilityZones[0]: 'us-east-1a' is not a zone of ap-northeast-2" in problems


def test_config_map_mode_is_accepted_without_remote_networks_or_admins():
    values = with_key("eks-workshop:cluster", ["authenticationMode"], "CONFIG_MAP")
    values["eks-workshop:cluster"]["remoteNetworks"] = {"nodes": [], "pods": []}
    assert parse(values).cluster.authentication_mode == "CONFIG_MAP"


def test_bad_config_registers_no_resource_and_surfaces_as_a_clean_run_error():
    import pulumi

    with pytest.raises(ConfigError) as err:
        run_stack("dev", overrides={"eks-workshop:nodeGroups": {"default": {"minSize": 4}}})
    # A RunError: the Pulumi CLI prints only the message, no traceback.
    assert isinstance(err.value, pulumi.RunError)
    assert "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in str(err.value)


def test_bad_config_creates_nothing():
    from offline.runner import PROJECT, ProgramRun, load_stack_config, run_program

    run = ProgramRun(project=PROJECT, stack="dev")
    with pytest.raises(ConfigError):
        run_program("dev", {**load_stack_config("dev"), "eks-workshop:network": {"vpcCidr": "bad"}}, run=run)
    assert run.resources == []
    # The same program does register resources when the config is good (the run the other tests share), so
    # the emptiness above means something.
    assert len(run_stack("dev").resources) > 50


def test_capacity_without_prefix_delegation_counts_every_eni_address():
    from workshop.subnets import NodeCapacity, node_capacity

    # m5.large: 3 ENIs x 10 addresses (eni-max-pods: 29 pods); with prefixes 110 pods in 8 /28s.
    assert node_capacity("m5.large", False) == NodeCapacity("m5.large", 29, 0, 30)
    with_prefixes = node_capacity("m5.large", True)
    assert with_prefixes is not None and (with_prefixes.pods, with_prefixes.prefixes) == (110, 8)
    large = node_capacity("m5.24xlarge", True)
    assert large is not None and large.pods == 250  # 96 vCPUs: EKS's higher cap
    values = with_key("eks-workshop:vpcCni", ["prefixDelegation"], False)
    values["eks-workshop:network"]["vpcCidr"] = "10.42.0.0/22"  # /25 private subnets: 123 usable addresses
    values["eks-workshop:nodeGroups"]["default"]["maxSize"] = 12  # 4 nodes a zone x 30 + 6 for EKS = 126
    assert any(p.startswith("eks-workshop:network.vpcCidr: '10.42.0.0/22' gives /25 private subnets, too small for "
                            "the nodes at maxSize: nodeGroups.default.maxSize 12 put 4 nodes in a zone, needing 126 "
                            "addresses (without prefix delegation); each has 123") for p in problems_of(values))
    values["eks-workshop:nodeGroups"]["default"]["maxSize"] = 9  # 3 a zone: 96 addresses fit
    assert parse(values).network.vpc_cidr == "10.42.0.0/22"


def test_an_instance_type_the_eks_ami_does_not_know_is_refused_with_the_nearest():
    # m5.larg planned clean once, with an advisory; EKS could never boot it.
    assert problems_of(with_key("eks-workshop:nodeGroups", ["default", "instanceTypes"], ["m5.larg"])) == [
        "eks-workshop:nodeGroups.default.instanceTypes[0]: 'm5.larg' is not an instance type the EKS AMI knows "
        "(workshop/instance_network_limits.json, amazon-eks-ami's instance table); did you mean 'm5.large'?"]


def test_an_instance_family_of_the_other_architecture_is_refused():
    values = with_key("eks-workshop:nodeGroups", ["default", "instanceTypes"], ["m5.large", "m6g.large"])
    assert problems_of(values) == ["eks-workshop:nodeGroups.default.amiType: 'AL2023_x86_64_STANDARD' boots x86_64 "
                                   "but ['m6g.large'] is arm64 (instanceTypes)"]
    arm = with_key("eks-workshop:nodeGroups", ["default", "instanceTypes"], ["m6g.large", "c7gn.xlarge", "t4g.large"])
    arm["eks-workshop:nodeGroups"]["default"]["amiType"] = "AL2023_ARM_64_STANDARD"
    assert parse(arm).node_groups["default"].instance_types == ("m6g.large", "c7gn.xlarge", "t4g.large")


def test_a_region_pulumi_aws_does_not_know_is_refused():
    values = {**with_key("eks-workshop:nodeGroups", ["default", "minSize"], 3), "aws:region": "ap-northeast-9"}
    assert problems_of(values) == ["aws:region: 'ap-northeast-9' is not an AWS region pulumi-aws knows; did you mean "
                                   "'ap-northeast-3'?"]


def test_wire_names_are_camel_case_only():
    # The model's Python names are snake_case; a stack file that uses them is a typo, not an alias.
    problems = problems_of(with_key("eks-workshop:nodeGroups", ["default", "min_size"], 3))
    assert problems == ["eks-workshop:nodeGroups.default.min_size: unknown key (known: amiType, autoRepair, capacityType, "
                        "desiredSize, diskSize, generatedName, instanceTypes, labels, maxSize, maxUnavailablePercentage, "
                        "metadataHopLimit, minSize, releaseVersion, taints, version)"]


def test_a_follow_on_rule_does_not_repeat_a_problem_already_reported():
    # An invalid public CIDR is one problem; the API-reach rule that reads it waits until it is valid.
    problems = problems_of(with_key("eks-workshop:cluster", ["publicAccessCidrs"], ["1.2.3.4/40"]))
    assert len(problems) == 1 and problems[0].startswith("eks-workshop:cluster.publicAccessCidrs[0]:")


def test_every_problem_of_one_rule_set_is_reported():
    # One model-level validator finds several broken rules: each is its own line, with its own key.
    values = with_key("eks-workshop:nodeGroups", ["default"], {"minSize": 5, "desiredSize": 4, "maxSize": 3})
    values["eks-workshop:tags"] = {"aws:owner": "me", "x" * 129: "v"}
    assert sorted(problems_of(values)) == sorted([
        "eks-workshop:nodeGroups.default: minSize 5 > desiredSize 4",
        "eks-workshop:nodeGroups.default: desiredSize 4 > maxSize 3",
        "eks-workshop:tags.aws:owner: keys starting with 'aws:' are reserved by AWS",
        f"eks-workshop:tags.{'x' * 129}: 'v': keys are 1-128 and values at most 256 characters",
    ])


def test_typos_in_other_namespaces_are_named_against_the_known_keys():
    values = {**DEV, "aws:regoin": "ap-northeast-2", "eks-workshp:protect": True, "aws:allowedAccountIds": ["1"],
              "kubernetes:context": "x", "company:owner": "platform"}
    assert problems_of(values) == [
        "aws:regoin: not a setting of the aws provider; did you mean aws:region?",
        "eks-workshp:protect: unknown namespace 'eks-workshp'; did you mean eks-workshop:protect?"]
    # A provider setting, another provider's namespace and a namespace nothing resembles are not ours to judge.
    assert parse({**DEV, "aws:allowedAccountIds": ["1"], "company:owner": "platform"}).region == "ap-northeast-2"


@pytest.mark.parametrize("remote, message", [
    ({"vpcGatewayId": "igw-0123456789abcdef0"},
     "eks-workshop:cluster.remoteNetworks.vpcGatewayId: 'igw-0123456789abcdef0' is not a transit gateway (tgw-…) or "
     "virtual private gateway (vgw-…) ID"),
    ({"iam": {"provider": "IRA"}},
     "eks-workshop:cluster.remoteNetworks.iam.caBundle: '' but provider IRA creates a Roles Anywhere trust anchor, "
     "which needs the PEM CA bundle of the certificates the nodes present"),
    ({"iam": {"roleArn": "arn:aws:iam::123456789012:user/nodes"}},
     "eks-workshop:cluster.remoteNetworks.iam.roleArn: 'arn:aws:iam::123456789012:user/nodes' is not an IAM role ARN"),
    ({"nodes": [], "pods": [], "vpcGatewayId": "tgw-0123456789abcdef0"},
     "eks-workshop:cluster.remoteNetworks.vpcGatewayId: 'tgw-0123456789abcdef0' but no remoteNetworks.nodes: there "
     "is nothing to route to"),
])
def test_hybrid_nodes_input_that_cannot_work_is_refused(remote, message):
    cluster = json.loads(json.dumps(DEV["eks-workshop:cluster"]))
    cluster["remoteNetworks"].update(remote)
    assert message in problems_of({**DEV, "eks-workshop:cluster": cluster})


def test_dev_differs_from_the_defaults_only_where_its_header_says():
    # Pulumi.dev.yaml's header: every value equals the default except the two log retentions.
    from pydantic import BaseModel

    from workshop.project import ROOT, load_stack_config

    dev, default = parse(load_stack_config("dev")), parse({"aws:region": "ap-northeast-2"})

    def differences(a, b, path=""):
        if isinstance(a, BaseModel):
            return [d for n in type(a).model_fields for d in differences(getattr(a, n), getattr(b, n), f"{path}{n}.")]
        if isinstance(a, Mapping) and isinstance(b, Mapping) and a.keys() == b.keys():
            return [d for k in a for d in differences(a[k], b[k], f"{path}{k}.")]
        return [path.rstrip(".")] if a != b else []

    # The log retentions, and what dev takes from the workshop rather than from our hardening (each
    # marked "workshop:" in the file); vpc-cni's version follows the cluster's through the catalogue.
    assert differences(dev, default) == [
        "cluster.version", "cluster.upgrade_support_type", "cluster.log_types", "cluster.manage_log_types",
        "cluster.log_retention_days", "network.flow_log_retention_days", "node_groups.default.version",
        "node_groups.default.release_version", "node_groups.default.metadata_hop_limit", "vpc_cni.version", "addons",
        "node_role_name_prefix"]
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    assert "except the two log retentions" in text and text.count("# workshop:") == 5
