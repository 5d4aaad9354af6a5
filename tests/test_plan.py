"""`make plan`: the offline preview, its JSON, secret masking, policy verdict, diff and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from plan_support import ROOT, Result, edit_stack, plan_cli, program_copy  # noqa: F401 - fixtures

from offline.plan_diff import diff_plans, upgrade_of
from offline.plan_model import Plan
from offline.plan_render import render
from offline.runner import reveal, run_stack
from offline.wire import SECRET_SIG, UNKNOWN_WIRE


def test_plan_json_schema(dev_plan):
    assert set(dev_plan) == {"schemaVersion", "project", "stack", "resources", "outputs", "violations", "estimate",
                             "kubernetes", "warnings", "capacity", "labs"}
    assert dev_plan["capacity"] == {"podsPerNode": {"default": 110}, "podsAtMaxNodes": 660, "subnetPrefixLength": 19,
                                    "nodesPerZoneAtMax": 2, "prefixBlocksFree": 510, "prefixBlocksNeeded": 16,
                                    "addressesFree": 8187, "addressesNeeded": 8}
    # dev keeps the workshop's public-and-private endpoints with hybrid nodes: planned, with a warning.
    # ... and no gateway to the remote networks, as the workshop's eksctl config has none: a warning too.
    # ... and the workshop's Kubernetes minor in extended support, with the catalogue's unconfirmed pin for it.
    assert [w.split(":", 2)[1] for w in dev_plan["warnings"]] == ["cluster.version", "addons.metrics-server",
                                                                  "cluster.remoteNetworks.vpcGatewayId",
                                                                  "cluster.endpointPublicAccess"]
    assert (dev_plan["project"], dev_plan["stack"]) == ("eks-workshop", "dev")
    keys = {"urn", "type", "name", "custom", "parent", "dependencies", "propertyDependencies", "protect",
            "retainOnDelete", "id",
            "aliases", "replaceOnChanges", "deleteBeforeReplace", "inputs", "outputs"}
    # aliasSpecs only where a resource has some (pulumi-kubernetes gives a Deployment its old API types).
    # ignoreChanges only where a resource has some.
    assert all(set(r) - {"aliasSpecs", "ignoreChanges"} == keys for r in dev_plan["resources"])
    assert {r["name"]: r["ignoreChanges"] for r in dev_plan["resources"] if "ignoreChanges" in r} == {
        "cluster": ["enabledClusterLogTypes"], "nodes-default": ["scalingConfig.desiredSize"], "ide-instance": ["ami"]}
    cluster = next(r for r in dev_plan["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] is True  # camelCase wire form
    assert cluster["outputs"]["endpoint"].startswith("https://")
    assert all(set(v) == {"policy", "enforcement", "urn", "message"} for v in dev_plan["violations"])
    assert set(dev_plan["estimate"]) == {"cost", "time"}
    assert dev_plan["estimate"]["cost"]["monthlyAtDesired"] > 0 and dev_plan["estimate"]["cost"]["notPriced"] == []
    assert dev_plan["estimate"]["time"]["criticalPathSeconds"] < dev_plan["estimate"]["time"]["serialSeconds"]


def test_plan_masks_every_secret(dev_plan):
    text = json.dumps(dev_plan)
    kubeconfig = reveal(run_stack("dev").outputs["kubeconfig"])
    assert dev_plan["outputs"]["kubeconfig"] == "[secret]"
    provider = next(r for r in dev_plan["resources"] if r["type"] == "pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert "get-token" in kubeconfig and "get-token" not in text
    assert json.dumps(kubeconfig)[1:-1] not in text
    assert SECRET_SIG not in text  # no secret envelope left either


def test_policy_verdict_comes_from_the_pack(dev_plan):
    assert sorted((v["policy"], v["enforcement"]) for v in dev_plan["violations"]) == [
        ("cloudfront-origin-https", "advisory"), ("eks-hybrid-endpoint-mode", "advisory"),
        ("eks-public-endpoint-restricted", "advisory"), ("eks-version-support-window", "advisory")]


def test_rendered_view_has_tree_counts_outputs_and_verdict(dev_plan):
    plan = Plan.from_json(dev_plan)
    text = "\n".join(render(plan, "policies/config/dev.json"))
    assert "eks-workshop:network:Network  network" in text
    assert "│  ├─ aws:ec2/vpc:Vpc  network-vpc  cidrBlock=10.42.0.0/16" in text
    # The counts are the run's own: every registration is one line of the tree, custom ones "to create".
    run = run_stack("dev")
    custom = sum(r.custom for r in run.resources)
    assert custom == len(plan.custom_resources()) and custom > 50
    assert f"Resources: {custom} to create ({len(run.resources) - custom} components)" in text
    assert "    7  aws:ec2/subnet:Subnet" in text
    assert "  kubeconfig: [secret]" in text
    assert "  mandatory: none" in text and "    eks-public-endpoint-restricted  cluster:" in text
    from offline.estimate import render_estimate

    est = Plan.from_json(dev_plan).estimate
    assert est is not None
    text = "\n".join(render_estimate(est))
    assert "Estimated monthly cost (ap-northeast-2" in text and "  total " in text
    assert "Estimated create time:" in text and "aws:eks/cluster:Cluster  cluster" in text


def test_diff_of_a_real_program_change(plan_cli, program_copy, dev_plan, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(dev_plan))
    source = program_copy / "components" / "node_group.py"
    source.write_text(source.read_text().replace('volume_type="gp3"', 'volume_type="io2"'))
    edit_stack(program_copy, "dev", "eks-workshop:nodeGroups", lambda g: g["default"].update(metadataHopLimit=3))
    edit_stack(program_copy, "dev", "eks-workshop:cluster", lambda c: c.update(name="eks-workshop-2"))
    edit_stack(program_copy, "dev", "eks-workshop:addons", lambda a: (a.clear(), a.update({"coredns": "v1.11.4-eksbuild.2"})))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--against", str(base), "--no-policy",
                      "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    diff = json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]
    changed = {(c["type"], c["urn"].rsplit("::", 1)[1]): c["properties"] for c in diff["changed"]}
    lt = changed[("aws:ec2/launchTemplate:LaunchTemplate", "nodes-default")]
    assert lt["metadataOptions.httpPutResponseHopLimit"] == {"old": 2, "new": 3}
    assert lt["blockDeviceMappings"]["new"][0]["ebs"]["volumeType"] == "io2"  # the source change
    assert changed[("aws:eks/addon:Addon", "addons-coredns")]["addonVersion"]["new"] == "v1.11.4-eksbuild.2"
    assert changed[("aws:eks/cluster:Cluster", "cluster")]["name"] == {"old": "eks-workshop", "new": "eks-workshop-2"}
    removed = {urn.rsplit("::", 1)[1] for urn in diff["removed"]}
    assert removed == {"cluster-addons-kube-proxy", "addons-metrics-server"}
    assert any("Cluster cluster: changing name replaces it" in w for w in diff["warnings"])
    assert "WARNING: stateful resources would be replaced or deleted" in result.stdout
    assert "      metadataOptions.httpPutResponseHopLimit: 2 => 3" in result.stdout
    # Three add-ons gone cost nothing; the estimate delta is there and says so.
    assert diff["estimate"]["monthlyAtDesired"] == 0.0
    assert "Estimate change: +0.00 USD/month at desired" in result.stdout


def test_diff_shows_the_cost_of_a_change(plan_cli, program_copy, dev_plan, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(dev_plan))
    edit_stack(program_copy, "dev", "eks-workshop:network", lambda n: n.update(natGateways="perAz"))
    # Three more Elastic IPs in dev's account, beside staging's three: past the default quota, declared raised.
    (program_copy / "quotas").mkdir(exist_ok=True)
    (program_copy / "quotas" / "111122223333.json").write_text(json.dumps(
        {"account": "111122223333", "raised": {"ap-northeast-2": {"L-0263D0A3": 10}}}))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--against", str(base), "--no-policy",
                      "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    delta = json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]["estimate"]
    nat = [x for x in dev_plan["estimate"]["cost"]["lines"] if x["name"].startswith("network-nat")]
    assert delta["monthlyAtDesired"] == pytest.approx(2 * sum(x["desired"] for x in nat), abs=0.02)


def test_diff_warns_on_downgrades_cidr_changes_and_removals(dev_plan):
    new = json.loads(json.dumps(dev_plan))
    for r in new["resources"]:
        if r["type"] == "aws:eks/cluster:Cluster":
            r["inputs"]["version"] = "1.32"
        if r["type"] == "aws:ec2/vpc:Vpc":
            r["inputs"]["cidrBlock"] = "10.43.0.0/16"
        if r["type"] == "aws:eks/addon:Addon" and r["name"] == "vpc-cni":
            r["inputs"]["addonVersion"] = "v1.0.0-eksbuild.1"
    new["resources"] = [r for r in new["resources"] if r["type"] != "aws:kms/key:Key"]
    warnings = diff_plans(Plan.from_json(dev_plan), Plan.from_json(new)).warnings
    assert any("Addon vpc-cni: addonVersion goes back" in w and "-> v1.0.0-eksbuild.1" in w for w in warnings)
    assert any("Cluster cluster: version goes back 1.33 -> 1.32: EKS rolls back only one minor" in w for w in warnings)
    assert any("Vpc network-vpc: changing cidrBlock replaces it" in w for w in warnings)
    assert any("Key cluster-secrets: removed" in w for w in warnings)
    same = Plan.from_json(dev_plan)
    assert diff_plans(same, same).to_json() == {"added": [], "removed": [], "changed": [], "moved": {},
                                                "warnings": []}


def test_a_stack_the_change_adds_diffs_against_nothing(plan_cli, program_copy, tmp_path):
    """A PR that adds Pulumi.alice-new.yaml: the base (HEAD) has no such stack, so all of it is new."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    (program_copy / "Pulumi.alice-new.yaml").write_text(
        (program_copy / "Pulumi.dev.yaml").read_text().replace("name: eks-workshop\n", "name: eks-workshop-alice-new\n")
        .replace("vpcCidr: 10.42.0.0/16", "vpcCidr: 10.46.0.0/16"))
    result = plan_cli("--root", str(program_copy), "--stack", "alice-new", "--against-ref", "HEAD", "--no-policy",
                      "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    diff = json.loads((tmp_path / "out" / "plan-alice-new.json").read_text())["diff"]
    assert diff["removed"] == [] and diff["changed"] == [] and len(diff["added"]) > 50
    assert "HEAD (no Pulumi.alice-new.yaml there: a new stack)" in result.stdout
    # Each line names the resource's own type, as the tree does, not its parents' chain from the URN.
    assert "\n  + aws:eks/addon:Addon  addons-coredns\n" in result.stdout and "$" not in result.stdout


def test_against_ref_plans_the_merge_base_in_a_worktree(plan_cli, tmp_path):
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    result = plan_cli("--stack", "dev", "--against-ref", "HEAD", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "base" / "plan-dev.json").exists()
    # The base is named by the ref asked for, and where its plan was written.
    assert f"Changes against HEAD (its plan: {os.path.relpath(tmp_path / 'base' / 'plan-dev.json')}): " in result.stdout


def test_exit_code_0_for_advisory_only(dev_cli):
    assert dev_cli.returncode == 0 and "advisory: 4" in dev_cli.stdout


def test_exit_code_1_for_a_mandatory_violation_named_in_a_diff_too(plan_cli, program_copy, tmp_path, monkeypatch):
    """The gate fails, and says which policy on which resource: with the tree, and in a diff without it."""
    base = plan_cli("--root", str(program_copy), "--stack", "prod", "--no-policy", "--quiet",
                    "--out-dir", str(tmp_path / "base"))
    assert base.returncode == 0, base.stderr
    edit_stack(program_copy, "prod", "eks-workshop:nodeGroups", lambda g: g["default"].update(metadataHopLimit=2))
    # As in a fresh `python -m offline.plan --root`: the pack's modules are first imported while the copy's
    # program packages stand in for this tree's, and must still find this tree's pack.
    for name in ("offline.analyzer", "offline.pack_env"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    named = "ec2-imdsv2-required  nodes-default: IMDS hop limit 2 exceeds 1"
    result = plan_cli("--root", str(program_copy), "--stack", "prod", "--out-dir", str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert named in result.stdout
    diff = plan_cli("--root", str(program_copy), "--stack", "prod", "--against", str(tmp_path / "base" / "plan-prod.json"),
                    "--out-dir", str(tmp_path / "diff"))
    assert diff.returncode == 1, diff.stderr
    assert "(the full resource tree: add --tree)" in diff.stdout
    assert "Policy verdict (policies/config/prod.json):\n  mandatory: 1\n    " + named in diff.stdout


def test_exit_code_2_for_bad_config_one_message_no_traceback(program_copy, tmp_path):
    """The one test of the command as a process: its exit status and stderr, as make and CI see them."""
    edit_stack(program_copy, "dev", "eks-workshop:nodeGroups", lambda g: g["default"].update(minSize=4))
    result = subprocess.run([sys.executable, "-m", "offline.plan", "--root", str(program_copy), "--stack", "dev",
                             "--out-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "eks-workshop:nodeGroups.default: minSize 4 > desiredSize 3" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_exit_code_2_for_a_program_error(plan_cli, program_copy, tmp_path):
    main_py = program_copy / "__main__.py"
    main_py.write_text(main_py.read_text() + "\nraise ValueError('boom')\n")
    # No policy pack: the program fails before anything would reach one.
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert "dev: the program failed: ValueError: boom (__main__.py:" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_plan_is_deterministic():
    """Two fresh runs of one stack plan byte for byte alike (what lets the suite share runs)."""
    from conftest import run_stack_uncached

    first, second = run_stack_uncached("staging"), run_stack_uncached("staging")
    assert first is not second and Plan.of_run(first).dumps() == Plan.of_run(second).dumps()


def test_preview_mode_plans_with_unknowns(plan_cli, tmp_path):
    result = plan_cli("--stack", "prod", "--preview", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan-prod.json").read_text())
    nodes = next(r for r in plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup")
    assert nodes["inputs"]["subnetIds"] == "[unknown]" and "nodeGroupName" not in nodes["inputs"]  # generatedName
    assert UNKNOWN_WIRE not in json.dumps(plan)
    assert "  mandatory: none" in result.stdout
    # Every output of the contract is there; what AWS computes is listed as unknown, not dropped.
    from workshop.contract import OUTPUTS

    assert {o.name for o in OUTPUTS if not o.only_with} <= set(plan["outputs"])
    assert plan["outputs"]["clusterSecurityGroupId"] == "[unknown]" and plan["outputs"]["region"] == "ap-northeast-2"
    # The estimate reads the configured 80 GiB root volumes though the template's ID is unknown.
    volumes = next(x for x in plan["estimate"]["cost"]["lines"] if "gp3 root volumes" in x["item"])
    assert "80 GiB" in volumes["item"]


def test_a_preview_of_the_workshop_stack_plans_and_leaves_the_labs_unjudged(plan_cli, tmp_path):
    """dev's labs check reads names and ARNs a preview doesn't know yet: no verdict rather than a crash."""
    result = plan_cli("--stack", "dev", "--preview", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "labs:" not in result.stdout
    assert "labs" not in json.loads((tmp_path / "plan-dev.json").read_text())


def test_a_version_change_reads_as_an_upgrade_in_order(plan_cli, program_copy, tmp_path):
    """dev planned one catalogued minor below its own, then diffed to its own: the cluster, the add-ons and
    the node group update in place (none replaced), control plane first."""
    from workshop import labs

    default = labs.kubernetes_version()
    below = f"1.{int(default.split('.')[1]) - 1}"
    edit_stack(program_copy, "dev", "eks-workshop:cluster", lambda c: c.update(version=below))
    edit_stack(program_copy, "dev", "eks-workshop:nodeGroups", lambda g: g["default"].pop("releaseVersion"))
    base = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--quiet",
                    "--out-dir", str(tmp_path / "base"))
    assert base.returncode == 0, base.stderr
    result = plan_cli("--stack", "dev", "--no-policy", "--against", str(tmp_path / "base" / "plan-dev.json"),
                      "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    diff = json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]
    assert diff["added"] == [] and diff["removed"] == [] and diff["warnings"] == []
    upgrade = diff["upgrade"]
    assert (upgrade["from"], upgrade["to"], upgrade["verdict"]) == (below, default, "upgrade: one minor, as EKS allows")
    waves = [{w["name"] for w in wave} for wave in upgrade["waves"]]
    actions = {w["name"]: w["action"] for wave in upgrade["waves"] for w in wave}
    # The IDE is not touched: the workshop's installer picks its own tools.
    assert "ide-instance" not in actions
    assert set(actions.values()) == {"update"}
    position = {name: i for i, wave in enumerate(waves) for name in wave}
    assert position["cluster"] == 0
    # vpc-cni moves with them where the catalogue pins it differently for the two minors (1.32 and 1.33 agree).
    assert position["cluster-addons-kube-proxy"] == position.get("vpc-cni", 1) == 1
    assert position["nodes-default"] == 2
    changed_addons = {c["urn"].rsplit("::", 1)[1] for c in diff["changed"] if c["type"] == "aws:eks/addon:Addon"}
    for name in changed_addons & {"addons-coredns", "addons-metrics-server"}:
        assert position[name] == 3
    assert f"Kubernetes {below} -> {default}: upgrade: one minor, as EKS allows" in result.stdout
    assert "  1. cluster (update)" in result.stdout
    # docs/upgrades.md shows this very printout
    printed = result.stdout[result.stdout.index(f"Kubernetes {below} -> "):].split("\n\n", 1)[0]
    page = (ROOT / "docs" / "upgrades.md").read_text()
    sample = page[page.index(f"   Kubernetes {below} -> "):].split("\n   ```", 1)[0]
    assert "\n".join(line.removeprefix("   ") for line in sample.splitlines()) == printed, printed


def test_a_downgrade_or_a_jump_reads_as_refused(dev_plan):
    for version, verdict in (("1.31", "refused: 2 minors at once; EKS upgrades one minor at a time"),
                             ("1.34", "refused: a downgrade without cluster.rollback")):
        old = json.loads(json.dumps(dev_plan))
        for r in old["resources"]:
            if r["type"] == "aws:eks/cluster:Cluster":
                r["inputs"]["version"] = version
        before, after = Plan.from_json(old), Plan.from_json(dev_plan)
        upgrade = upgrade_of(before, after, diff_plans(before, after))
        assert upgrade is not None and upgrade.verdict == verdict


def test_a_refused_upgrade_fails_the_gate_and_leads_the_summary(plan_cli, dev_plan, tmp_path):
    base = json.loads(json.dumps(dev_plan))
    for r in base["resources"]:
        if r["type"] == "aws:eks/cluster:Cluster":
            r["inputs"]["version"] = "1.31"
    (tmp_path / "base.json").write_text(json.dumps(base))
    result = plan_cli("--stack", "dev", "--no-policy", "--against", str(tmp_path / "base.json"),
                      "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    refusal = "Kubernetes 1.31 -> 1.33: refused: 2 minors at once; EKS upgrades one minor at a time"
    assert result.stdout.splitlines()[2] == f"  REFUSED:     {refusal}"
    assert f"error: dev: refused: {refusal}" in result.stderr
    assert json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]["refusals"] == [refusal]
    # One minor up is what EKS does: no refusal, exit 0.
    for r in base["resources"]:
        if r["type"] == "aws:eks/cluster:Cluster":
            r["inputs"]["version"] = "1.32"
    (tmp_path / "base.json").write_text(json.dumps(base))
    ok = plan_cli("--stack", "dev", "--no-policy", "--against", str(tmp_path / "base.json"), "--out-dir", str(tmp_path / "out"))
    assert ok.returncode == 0 and "REFUSED" not in ok.stdout


def test_replacing_or_deleting_what_the_base_protects_fails_the_gate(plan_cli, program_copy, tmp_path):
    assert plan_cli("--root", str(program_copy), "--stack", "prod", "--no-policy", "--quiet",
                    "--out-dir", str(tmp_path / "base")).returncode == 0
    # The new VPC CIDR replaces the protected VPC; unprotecting in the same change doesn't help (the
    # engine judges by the state); turning the flow logs off deletes the protected flow-log group.
    edit_stack(program_copy, "prod", "eks-workshop:network", lambda n: n.update(vpcCidr="10.43.0.0/16", flowLogs=False))
    path = program_copy / "Pulumi.prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["config"]["eks-workshop:protect"] = False
    path.write_text(yaml.safe_dump(data))
    result = plan_cli("--root", str(program_copy), "--stack", "prod", "--no-policy",
                      "--against", str(tmp_path / "base" / "plan-prod.json"), "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    refusals = json.loads((tmp_path / "out" / "plan-prod.json").read_text())["diff"]["refusals"]
    way = ("the engine refuses; first unprotect it in a change of its own (eks-workshop:protect false, "
           "`pulumi up`), then make this one")
    assert f"aws:ec2/vpc:Vpc network-vpc is protected and changing cidrBlock replaces it: {way}" in refusals
    assert f"aws:cloudwatch/logGroup:LogGroup network-flow-logs is protected and this change deletes it: {way}" in refusals
    assert "ERROR: the real preview would refuse this change (exit 2):" in result.stdout


def test_moved_resources_diff_as_the_same_resource(dev_plan):
    """The add-ons that moved to cluster-addons carry aliases: a plan from before the move diffs clean."""
    old = json.loads(json.dumps(dev_plan))
    renames = {}
    for r in old["resources"]:
        if r["aliases"]:
            renames[r["urn"]] = r["aliases"][0]
            r["urn"], r["aliases"] = r["aliases"][0], []
    # kube-proxy (dev has no pod identity agent: the labs create it).
    assert [urn.rsplit("::", 1)[1] for urn in renames] == ["cluster-addons-kube-proxy"]
    diff = diff_plans(Plan.from_json(old), Plan.from_json(dev_plan))
    assert diff.added == [] and diff.removed == [] and diff.changed == []
    assert diff.moved == {old_urn: urn for urn, old_urn in renames.items()}


def test_renaming_a_component_with_a_matching_alias_is_no_change(plan_cli, program_copy, dev_plan, tmp_path):
    """Alias(name=…) on the component; its children, named with its name as prefix, inherit the alias with
    the prefix substituted (network-vpc was vpc-vpc's old name), as the engine resolves them."""
    (tmp_path / "base.json").write_text(json.dumps(dev_plan))
    main_py = program_copy / "__main__.py"
    text = main_py.read_text()
    old = 'network = Network("network", wiring.network_args(cfg, log_key))'
    assert old in text
    main_py.write_text(text.replace(old, 'network = Network("vpc", wiring.network_args(cfg, log_key), '
                                         'pulumi.ResourceOptions(aliases=[pulumi.Alias(name="network")]))'))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--against",
                      str(tmp_path / "base.json"), "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    diff = json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]
    assert (diff["added"], diff["removed"], diff["changed"]) == ([], [], [])
    every_move = diff["moved"]
    moved = {old.rsplit("::", 1)[1]: new.rsplit("::", 1)[1] for old, new in every_move.items()}
    assert moved["network"] == "vpc" and moved["network-vpc"] == "vpc-vpc"
    assert moved["network-private-ap-northeast-2a"] == "vpc-private-ap-northeast-2a"
    assert "0 to create, 0 to update, 0 to replace, 0 to delete" in result.stdout
    # Without the alias the same rename deletes the network and creates another.
    main_py.write_text(text.replace(old, 'network = Network("vpc", wiring.network_args(cfg, log_key))'))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--against",
                      str(tmp_path / "base.json"), "--out-dir", str(tmp_path / "out"))
    diff = json.loads((tmp_path / "out" / "plan-dev.json").read_text())["diff"]
    assert sorted(diff["removed"]) == sorted(every_move) and diff["moved"] == {}


def test_alias_specs_resolve_as_the_engine_does():
    from offline.plan_diff import resolve_aliases
    from offline.plan_model import PlannedResource

    stack = "urn:pulumi:dev::eks-workshop::pulumi:pulumi:Stack::eks-workshop-dev"

    def res(urn, parent=stack, specs=(), aliases=()):
        qualified, name = urn.split("::")[2], urn.split("::", 3)[3]
        return PlannedResource(urn=urn, type=qualified.rsplit("$", 1)[-1], name=name, custom=True, parent=parent,
                               aliases=list(aliases), alias_specs=list(specs))

    def plan(*resources):
        return Plan(schema_version=2, project="eks-workshop", stack="dev", resources=list(resources), outputs={},
                    violations=[])

    u = "urn:pulumi:dev::eks-workshop::"
    comp_old, comp_new = res(u + "x:a:Comp::old"), res(u + "x:a:Comp::new", specs=[{"name": "old"}])
    # type, noParent (moved out of a component), another stack's and project's name, and a full URN
    cases = [
        (res(u + "aws:s3/bucket:Bucket::b"), res(u + "aws:s3/bucketV2:BucketV2::b", specs=[{"type": "aws:s3/bucket:Bucket"}])),
        (res(u + "x:a:Comp$aws:s3/bucket:Bucket::c", parent=u + "x:a:Comp::old"),
         res(u + "aws:s3/bucket:Bucket::c", specs=[{"parentUrn": u + "x:a:Comp::old"}])),
        (res(u + "aws:s3/bucket:Bucket::d"), res(u + "x:a:Comp$aws:s3/bucket:Bucket::d", parent=u + "x:a:Comp::new",
                                                  specs=[{"noParent": True}])),
        (res(u + "aws:s3/bucket:Bucket::e"), res(u + "aws:s3/bucket:Bucket::e2", aliases=[u + "aws:s3/bucket:Bucket::e"])),
        # a child named after its renamed component: the parent's alias with the prefix substituted
        (res(u + "x:a:Comp$aws:s3/bucket:Bucket::old-logs", parent=u + "x:a:Comp::old"),
         res(u + "x:a:Comp$aws:s3/bucket:Bucket::new-logs", parent=u + "x:a:Comp::new")),
    ]
    # A child not named after it keeps its URN (a URN holds the parent's type, not its name): no move.
    same = res(u + "x:a:Comp$aws:s3/bucket:Bucket::f", parent=u + "x:a:Comp::new")
    old = plan(comp_old, *(o for o, _ in cases), same.model_copy(update={"parent": u + "x:a:Comp::old"}))
    new = plan(comp_new, *(n for _, n in cases), same)
    assert resolve_aliases(old, new) == {comp_old.urn: comp_new.urn, **{o.urn: n.urn for o, n in cases}}
    # An alias naming another stack or project points elsewhere: nothing in this stack's old state.
    other = plan(res(u + "aws:s3/bucket:Bucket::g2", specs=[{"name": "g", "stack": "prod"}]))
    assert resolve_aliases(plan(res(u + "aws:s3/bucket:Bucket::g")), other) == {}


def test_exit_code_2_for_a_resource_that_races_what_it_names(plan_cli, program_copy, tmp_path):
    wiring = program_copy / "wiring.py"
    text = wiring.read_text()
    assert "cluster_name=cluster_name," in text
    wiring.write_text(text.replace("cluster_name=cluster_name,", "cluster_name=cfg.cluster.name,"))
    result = plan_cli("--root", str(program_copy), "--stack", "dev", "--no-policy", "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert "error: dev: resources would be created before what they name:" in result.stderr
    assert ("aws:eks/accessEntry:AccessEntry ide-access: input clusterName = 'eks-workshop' names "
            "aws:eks/cluster:Cluster cluster without depending on it") in result.stderr
    assert "Traceback" not in result.stderr


def test_the_summary_says_which_guards_stand_from_the_planned_resources(dev_plan, prod):
    """The guards line reads the plan, not the config: prod has every guard; dev, the workshop, none."""
    from offline.plan_model import Plan
    from offline.plan_render import guard_line

    assert guard_line(Plan.of_run(prod, [])) == ("protect on, EKS deletion protection on, zonal shift on, "
                                                 "node auto repair on (1 of 1 node groups)")
    assert guard_line(Plan.from_json(dev_plan)) == ("protect off, EKS deletion protection off, zonal shift off, "
                                                    "node auto repair off (0 of 1 node groups)")
