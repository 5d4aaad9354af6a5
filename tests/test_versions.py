"""Kubernetes versions as a lifecycle: the catalogue, the one knob, validation, the live guard, and
the upgrade order of one `pulumi up`."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from offline.runner import load_stack_config, run_stack
from workshop import config as config_module
from workshop import labs, versions
from workshop.config import ConfigError, parse, version_warnings
from workshop.upgrade_guard import LiveCluster, upgrade_problems
from workshop.versions import catalogue

CAT = catalogue()
DEV = load_stack_config("dev")
TAKEN = CAT.taken
ADDON = "aws:eks/addon:Addon"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def dev_at(version: str, **cluster) -> dict:
    """dev at another version, with every pin on the catalogue: dev itself pins the workshop's AMI release and
    leaves the pod identity agent to the labs (Pulumi.dev.yaml)."""
    values = json.loads(json.dumps(DEV))
    values["eks-workshop:cluster"].update(version=version, **cluster)
    values["eks-workshop:nodeGroups"]["default"].pop("releaseVersion", None)
    values.pop("eks-workshop:addons", None)
    return values


def support_warnings(cfg, as_of: dt.date) -> list[str]:
    return [w for w in version_warnings(cfg, as_of) if w.startswith("eks-workshop:cluster.version")]


def problems_of(values: dict, as_of: dt.date = TAKEN) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(values, as_of)
    return err.value.problems


# ------------------------------------------------------------------ the catalogue


def test_catalogue_is_consistent():
    raw = json.loads(versions.CATALOGUE_FILE.read_text())
    names = CAT.names
    assert names == [f"1.{n}" for n in range(CAT.versions[names[0]].minor, CAT.versions[names[-1]].minor + 1)]
    previous = None
    for name in names:
        v = CAT.versions[name]
        assert v.released < v.standard_support_ends < v.extended_support_ends, name
        # EKS: 14 months of standard support, then 12 of extended.
        assert (v.extended_support_ends - v.standard_support_ends).days in range(360, 370), name
        if previous is not None:
            assert previous.released < v.released, name
        previous = v
        assert set(v.addons) == set(CAT.addon_names), name
        assert set(v.ami_releases) == set(CAT.ami_types), name
        assert raw["versions"][name]["calendarSource"] in raw["sources"], name
        for kind, pins in (("addons", raw["versions"][name]["addons"]),
                           ("amiReleases", raw["versions"][name]["amiReleases"])):
            for what, pin in pins.items():
                assert pin["source"] in raw["sources"], (name, what)
                assert isinstance(pin["confirmed"], bool), (name, what)
                if kind == "addons":
                    assert pin["version"] in pin["quote"] or pin["version"][1:] in pin["quote"], (name, what)
        for ami_type, pin in v.ami_releases.items():
            assert re.fullmatch(rf"{re.escape(name)}\.\d+-\d{{8}}", pin.version), (name, ami_type, pin)
        assert v.addons["kube-proxy"].version.startswith(f"v{name}."), name
        assert all(re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", p.version) for p in v.addons.values()), name
    for source in raw["sources"].values():
        assert source.get("url", "https://").startswith("https://") and source["what"]
    # The oldest entry is the oldest version still in extended support when the catalogue was taken.
    assert CAT.versions[names[0]].support(TAKEN) in ("standard", "extended")


def test_default_follows_the_rule():
    """The newest version GA on EKS for three months on the day taken, with every pin confirmed."""
    def eligible(v: versions.KubernetesVersion) -> bool:
        three_months_after = dt.date(v.released.year + (v.released.month + 2) // 12,
                                     (v.released.month + 2) % 12 + 1, min(v.released.day, 28))
        return three_months_after <= TAKEN and v.confirmed

    expected = max((v for v in CAT.versions.values() if eligible(v)), key=lambda v: v.minor)
    assert CAT.default == expected.version
    assert CAT.versions[CAT.default].support(TAKEN) == "standard"
    # Room to spare: the default is not about to be warned about.
    assert CAT.versions[CAT.default].days_left(TAKEN)[0] > versions.STANDARD_SUPPORT_WARNING_DAYS


def _semver(version: str) -> tuple[int, ...]:
    core, build = version.lstrip("v").split("-eksbuild.")
    return (*map(int, core.split(".")), int(build))


def test_addon_pins_never_move_backwards_from_one_minor_to_the_next():
    # An upgrade moves every catalogue pin along with the cluster: none may go back.
    for older, newer in itertools.pairwise(CAT.names):
        for name in CAT.addon_names:
            before, after = CAT.versions[older].addons[name].version, CAT.versions[newer].addons[name].version
            assert _semver(before) <= _semver(after), (name, older, before, newer, after)


def test_ami_pins_are_one_release_behind_the_newest():
    raw = json.loads(versions.CATALOGUE_FILE.read_text())
    for name, entry in raw["versions"].items():
        for ami_type, pin in entry["amiReleases"].items():
            assert pin["version"] < pin["newest"], (name, ami_type)
            assert pin["newest"].startswith(f"{name}."), (name, ami_type)


def test_policy_pack_carries_the_same_catalogue():
    assert versions.POLICY_PACK_COPY.read_bytes() == versions.CATALOGUE_FILE.read_bytes(), \
        "run `make docs` to copy workshop/kubernetes_versions.json into the policy pack"


def test_estimator_reads_the_catalogue_calendar():
    from offline.prices import support_status

    v = CAT.versions["1.31"]
    assert support_status("1.31", v.standard_support_ends) == "standard"
    assert support_status("1.31", v.standard_support_ends + dt.timedelta(days=1)) == "extended"
    assert support_status("1.31", v.extended_support_ends + dt.timedelta(days=1)) == "ended"
    assert support_status("1.20", TAKEN) == "unknown"


# ------------------------------------------------------------------ one knob


@pytest.mark.parametrize("version", [v for v in CAT.names if CAT.versions[v].support(TAKEN) != "ended"])
def test_one_knob_moves_every_pin(version):
    cfg = parse(dev_at(version), TAKEN)
    entry = CAT.versions[version]
    assert cfg.vpc_cni.version == entry.addons["vpc-cni"].version
    assert dict(cfg.addons) == {n: entry.addons[n].version for n in config_module.MANAGED_ADDONS}
    group = cfg.node_groups["default"]
    assert group.version == version
    assert group.release_version == entry.ami_releases["AL2023_x86_64_STANDARD"].version


def test_explicit_pins_win():
    values = dev_at("1.35")
    values["eks-workshop:vpcCni"]["version"] = "v1.20.0-eksbuild.1"
    values["eks-workshop:addons"] = {"coredns": "v1.12.9-eksbuild.9", "kube-proxy": "catalogue"}
    values["eks-workshop:nodeGroups"]["default"]["releaseVersion"] = "1.35.6-20260714"
    values["eks-workshop:nodeGroups"]["arm"] = {"amiType": "AL2023_ARM_64_STANDARD", "instanceTypes": ["m7g.large"],
                                                "version": "1.34", "labels": {}}
    cfg = parse(values, TAKEN)
    assert cfg.vpc_cni.version == "v1.20.0-eksbuild.1"
    assert dict(cfg.addons) == {"coredns": "v1.12.9-eksbuild.9",
                                "kube-proxy": CAT.versions["1.35"].addons["kube-proxy"].version}
    assert cfg.node_groups["default"].release_version == "1.35.6-20260714"
    # A node group one minor behind gets its own version's AMI release for its own family.
    assert cfg.node_groups["arm"].release_version == CAT.versions["1.34"].ami_releases["AL2023_ARM_64_STANDARD"].version


def test_program_runs_one_minor_down_with_every_pin_moved():
    below = f"1.{CAT.versions[CAT.default].minor - 1}"
    values = dev_at(below)
    run = run_stack("dev", overrides={
        "eks-workshop:cluster": values["eks-workshop:cluster"], "eks-workshop:nodeGroups": values["eks-workshop:nodeGroups"],
        "eks-workshop:addons": {n: "catalogue" for n in config_module.MANAGED_ADDONS}})
    entry = CAT.versions[below]
    assert run.one(CLUSTER).plain_inputs["version"] == below
    group = run.one(NODE_GROUP).plain_inputs
    assert (group["version"], group["releaseVersion"]) == (below, entry.ami_releases["AL2023_x86_64_STANDARD"].version)
    assert {r.plain_inputs["addonName"]: r.plain_inputs["addonVersion"] for r in run.of_type(ADDON)} == \
        {n: p.version for n, p in entry.addons.items()}


def test_unconfirmed_pins_plan_with_a_warning_naming_them():
    # The catalogue holds pins no public source confirmed (never the default version's): a stack that
    # moves to such a version plans, and is told which pin to check.
    unconfirmed = [(v, n) for v in CAT.names for n, p in CAT.versions[v].addons.items() if not p.confirmed]
    assert unconfirmed and all(v != CAT.default for v, _ in unconfirmed)
    version, name = next((v, n) for v, n in unconfirmed if CAT.versions[v].support(TAKEN) != "ended")
    cfg = parse(dev_at(version), TAKEN)
    pin = CAT.versions[version].addons[name].version
    assert f"eks-workshop:addons.{name}: the catalogue's {pin} for Kubernetes {version} is unconfirmed; check " \
           f"`aws eks describe-addon-versions --kubernetes-version {version} --addon-name {name}`" \
           in version_warnings(cfg, TAKEN)
    # An explicit pin replaces the doubtful one, and the warning goes.
    values = dev_at(version)
    values["eks-workshop:addons"] = {**{n: "catalogue" for n in config_module.MANAGED_ADDONS}, name: "v9.9.9-eksbuild.1"}
    assert not [w for w in version_warnings(parse(values, TAKEN), TAKEN) if name in w]


def test_an_ami_type_without_a_release_for_the_version_is_refused():
    values = dev_at(CAT.default)
    values["eks-workshop:nodeGroups"]["default"]["amiType"] = "AL2_x86_64"
    assert problems_of(values) == [
        f"eks-workshop:nodeGroups.default.amiType: 'AL2_x86_64': EKS publishes no AL2 AMI for Kubernetes "
        f"{CAT.default} (1.32 was the last); use AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD"]
    # 1.32 still has AL2 AMIs, but the catalogue pins none: the release must be given.
    values = dev_at("1.32")
    values["eks-workshop:nodeGroups"]["default"]["amiType"] = "AL2_x86_64"
    assert problems_of(values, dt.date(2026, 3, 1)) == [
        "eks-workshop:nodeGroups.default.releaseVersion: 'catalogue': the catalogue has no AL2_x86_64 release for "
        "Kubernetes 1.32; pin releaseVersion explicitly"]
    # Bottlerocket is no option: its release strings could never validate.
    values["eks-workshop:nodeGroups"]["default"]["amiType"] = "BOTTLEROCKET_x86_64"
    assert problems_of(values, dt.date(2026, 3, 1))[0].startswith(
        "eks-workshop:nodeGroups.default.amiType: 'BOTTLEROCKET_x86_64' must be one of")


# ------------------------------------------------------------------ support windows


def test_a_version_past_extended_support_is_refused_with_what_to_do():
    ended = CAT.versions["1.31"].extended_support_ends + dt.timedelta(days=1)
    assert problems_of(dev_at("1.31"), ended) == [
        "eks-workshop:cluster.version: '1.31' left EKS extended support on 2026-11-26 (plan date 2026-11-27): "
        "EKS creates no 1.31 cluster and upgrades existing ones itself; move to 1.32"]
    # The day before, it still plans, with a warning about the extended-support price.
    cfg = parse(dev_at("1.31"), ended - dt.timedelta(days=1))
    assert support_warnings(cfg, ended - dt.timedelta(days=1)) == [
        "eks-workshop:cluster.version: 1.31 is in EKS extended support (6x the control-plane price) until "
        "2026-11-26, 0 days left: upgrade"]


def test_a_version_near_the_end_of_standard_support_plans_with_a_warning():
    ends = CAT.versions["1.34"].standard_support_ends
    near = ends - dt.timedelta(days=versions.STANDARD_SUPPORT_WARNING_DAYS)
    assert support_warnings(parse(dev_at("1.34", upgradeSupportType="STANDARD"), near), near) == [
        f"eks-workshop:cluster.version: 1.34 leaves EKS standard support in 60 days ({ends}); EKS upgrades it "
        "then (upgradeSupportType STANDARD): plan the upgrade"]
    assert support_warnings(parse(dev_at("1.34", upgradeSupportType="EXTENDED"), near), near) == [
        f"eks-workshop:cluster.version: 1.34 leaves EKS standard support in 60 days ({ends}); extended support "
        "then costs 6x the control-plane price: plan the upgrade"]
    early = near - dt.timedelta(days=1)
    assert support_warnings(parse(dev_at("1.34"), early), early) == []


def test_every_stack_plans_clean_on_the_catalogue_date():
    for stack in ("staging", "prod"):
        cfg = parse(load_stack_config(stack), TAKEN)
        assert cfg.cluster.version == CAT.default
        assert version_warnings(cfg, TAKEN) == []
    # dev runs the minor the workshop's labs are written for, in extended support, and is told so.
    cfg = parse(DEV, TAKEN)
    workshop = labs.kubernetes_version()
    entry = CAT.versions[workshop]
    assert (cfg.cluster.version, cfg.cluster.upgrade_support_type) == (workshop, "EXTENDED")
    assert entry.support(TAKEN) == "extended"
    assert support_warnings(cfg, TAKEN) == [
        f"eks-workshop:cluster.version: {workshop} is in EKS extended support (6x the control-plane price) until "
        f"{entry.extended_support_ends}, {entry.days_left(TAKEN)[1]} days left: the workshop's labs are written for "
        "it (workshop_labs.json): move when the workshop does"]
    # Without the IDE the same version is only old: upgrade.
    no_ide = {**DEV, "eks-workshop:ide": {"enabled": False}}
    assert support_warnings(parse(no_ide, TAKEN), TAKEN)[0].endswith("days left: upgrade")


def test_upgrade_support_type_is_explicit_per_stack():
    types = {s: load_stack_config(s)["eks-workshop:cluster"]["upgradeSupportType"] for s in ("dev", "staging", "prod")}
    # dev: the workshop's minor is in extended support already; STANDARD would have EKS upgrade it.
    assert types == {"dev": "EXTENDED", "staging": "STANDARD", "prod": "EXTENDED"}
    run = run_stack("prod")
    assert run.one(CLUSTER).plain_inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_rollback_into_extended_support_needs_the_extended_policy():
    as_of = dt.date(2026, 11, 25)
    values = dev_at("1.33", upgradeSupportType="STANDARD", rollback={"fromVersion": "1.34", "upgradedOn": "2026-11-24"})
    assert "eks-workshop:cluster.upgradeSupportType: 'STANDARD': rolling back into 1.33, which is in extended " \
           "support, needs EXTENDED first (EKS rollback prerequisite)" in problems_of(values, as_of)
    values["eks-workshop:cluster"]["upgradeSupportType"] = "EXTENDED"
    assert parse(values, as_of).cluster.rollback.from_version == "1.34"


# ------------------------------------------------------------------ the live guard


def guard(version: str, live: LiveCluster, **cluster) -> list[str]:
    return upgrade_problems(parse(dev_at(version, **cluster), TAKEN), live)


def test_guard_passes_the_same_version_and_one_minor_up():
    assert guard("1.35", LiveCluster("1.35", {"default": "1.35"})) == []
    assert guard("1.35", LiveCluster("1.34", {"default": "1.34"})) == []


def test_guard_refuses_a_jump_of_two_minors():
    assert guard("1.35", LiveCluster("1.33", {"default": "1.33"})) == [
        "eks-workshop:cluster.version: '1.35' is 2 minors above the running 1.33: EKS upgrades one minor at a "
        "time; set 1.34, run `pulumi up`, then move on"]


def test_guard_refuses_an_upgrade_while_node_groups_lag():
    assert guard("1.35", LiveCluster("1.34", {"default": "1.33"})) == [
        "eks-workshop:nodeGroups.default.version: node group default runs 1.33 while the control plane runs "
        "1.34: EKS upgrades the control plane to 1.35 only when every node group matches it; move default to "
        "1.34 first"]


def test_guard_refuses_a_downgrade_without_the_rollback_key():
    assert guard("1.34", LiveCluster("1.35", {"default": "1.35"})) == [
        "eks-workshop:cluster.version: '1.34' is below the running 1.35: a downgrade; EKS rolls back one minor "
        "within 7 days of an upgrade: set cluster.rollback (fromVersion 1.35, upgradedOn) to mean it, or keep "
        "1.35",
        # The node group follows the cluster's version, so it would be downgraded too.
        "eks-workshop:nodeGroups.default.version: '1.34' is below the running 1.35: node groups are not "
        "downgraded outside a cluster.rollback"]


def test_guard_with_the_rollback_key_wants_node_groups_rolled_back_first():
    rollback = {"rollback": {"fromVersion": "1.35", "upgradedOn": "2026-11-22"}}
    values = dev_at("1.34", **rollback)
    values["eks-workshop:nodeGroups"]["default"]["version"] = "1.34"
    cfg = parse(values, TAKEN)
    assert upgrade_problems(cfg, LiveCluster("1.35", {"default": "1.34"})) == []
    assert upgrade_problems(cfg, LiveCluster("1.35", {"default": "1.35"})) == [
        "eks-workshop:nodeGroups.default.version: node group default runs 1.35, newer than the rolled-back "
        "control plane 1.34: roll the node groups back first (nodeGroups.default.version: \"1.34\", `pulumi up`), "
        "then the control plane"]
    assert upgrade_problems(cfg, LiveCluster("1.36", {"default": "1.34"})) == [
        "eks-workshop:cluster.rollback.fromVersion: '1.35' but the cluster runs 1.36: a rollback starts from "
        "the running version"]


def test_guard_refuses_a_node_group_downgrade_outside_a_rollback():
    values = dev_at("1.35")
    values["eks-workshop:nodeGroups"]["default"]["version"] = "1.34"
    assert upgrade_problems(parse(values, TAKEN), LiveCluster("1.35", {"default": "1.35"})) == [
        "eks-workshop:nodeGroups.default.version: '1.34' is below the running 1.35: node groups are not "
        "downgraded outside a cluster.rollback"]


def test_guard_runs_in_the_program_before_any_resource():
    from offline.mocks import WorkshopMocks
    from offline.runner import PROJECT, ProgramRun, run_program

    live = {"eks-workshop": LiveCluster("1.31", {"default": "1.31"})}
    run = ProgramRun(project=PROJECT, stack="dev")
    with pytest.raises(ConfigError) as err:
        run_program("dev", DEV, run=run, mocks=WorkshopMocks("ap-northeast-2", live=live))
    assert err.value.problems[0].startswith("eks-workshop:cluster.version: '1.33' is 2 minors above the running 1.31")
    assert run.resources == []
    # Another cluster in the account is not ours to judge; the same version is fine.
    assert run_stack("dev", live={"someone-else": LiveCluster("1.30")}).one(CLUSTER)
    assert run_stack("dev", live={"eks-workshop": LiveCluster("1.33", {"default": "1.33"})}).one(CLUSTER)


def test_guard_names_a_missing_ami_release_parameter():
    # dev's pinned release: the workshop's.
    version, release = labs.kubernetes_version(), DEV["eks-workshop:nodeGroups"]["default"]["releaseVersion"]
    parameter = versions.ami_release_parameter(version, "AL2023_x86_64_STANDARD", release)
    assert parameter == (f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/x86_64/standard/"
                         f"amazon-eks-node-al2023-x86_64-standard-{version}-v{release[-8:]}/image_id")
    with pytest.raises(ConfigError) as err:
        run_stack("dev", missing_parameters=frozenset({parameter}))
    assert err.value.problems == [
        f"eks-workshop:nodeGroups.default.releaseVersion: '{release}' (AL2023_x86_64_STANDARD) has no public SSM "
        f"parameter {parameter} in ap-northeast-2: pick a release published there"]


# ------------------------------------------------------------------ upgrade order in one `up`


def test_upgrade_order_control_plane_then_matching_addons_then_nodes(staging):
    cluster = staging.one(CLUSTER)
    by_name = {r.plain_inputs["addonName"]: r for r in staging.of_type(ADDON)}
    group = staging.one(NODE_GROUP)
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert cluster.urn in by_name[name].dependencies, name
        assert by_name[name].urn in group.dependencies, name
    for name in ("coredns", "metrics-server"):
        assert group.urn in by_name[name].dependencies, name
    # Node groups roll by their own maxUnavailablePercentage.
    assert group.plain_inputs["updateConfig"] == {"maxUnavailablePercentage": 33}


def test_moved_addons_keep_their_identity(dev):
    kube_proxy = next(r for r in dev.of_type(ADDON) if r.plain_inputs["addonName"] == "kube-proxy")
    assert kube_proxy.aliases == [
        "urn:pulumi:dev::eks-workshop::eks-workshop:addons:ManagedAddons$aws:eks/addon:Addon::addons-kube-proxy"]


def test_the_guard_knows_a_generated_node_group_name_by_its_key():
    from workshop.upgrade_guard import config_key

    assert config_key("nodes-default-1dff0e5") == "default" and config_key("default") == "default"
    assert config_key("nodes-gpu-pool-0a1b2c3") == "gpu-pool" and config_key("nodes-x-123") == "nodes-x-123"
