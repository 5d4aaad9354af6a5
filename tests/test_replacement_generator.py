"""The replacement-rules generator (scripts/replacement_rules/) on Go sources written for this test
(tests/fixtures/replacement-go/README.md): each pattern it reads, with the rule it must yield."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.replacement_rules.cli import main, table_types

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "replacement-go"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
REGION_RULE = {"path": "region", "when": "region changes, except between unset and the provider region",
               "source": "provider interceptor forceNewIfRegionChanges (internal/provider/region.go)"}


def generate(tmp: Path, *extra: str) -> tuple[dict, dict]:
    out, report = tmp / "rules.json", tmp / "report.json"
    assert main(["--aws", str(FIXTURE / "aws"), "--random", str(FIXTURE / "random"), "--out", str(out),
                 "--report", str(report), *extra]) == 0
    return json.loads(out.read_text()), json.loads(report.read_text())


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> tuple[dict, dict]:
    """Without the Pulumi SDK: wire names are derived (camelCase, lists pluralised)."""
    return generate(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def with_sdk(tmp_path_factory) -> tuple[dict, dict]:
    """With a Pulumi SDK of our own (fixture sdk/) and an overlay laid over the tree."""
    return generate(tmp_path_factory.mktemp("sdk"), "--sdk", str(FIXTURE / "sdk"),
                    "--aws-overlay", str(FIXTURE / "overlay"))


def entry(result: tuple[dict, dict], token: str) -> dict:
    return result[0]["types"][token]


def conditional(result: tuple[dict, dict], token: str, path: str | None) -> dict:
    (rule,) = [c for c in entry(result, token)["conditional"] if c["path"] == path]
    return rule


# (pattern, token, Pulumi path it makes forceNew) on the plain run
FORCE_NEW = [
    ("SDKv2 literal `ForceNew: true`, key from names.AttrName", "aws:eks/cluster:Cluster", "name"),
    ("same-package helper returning a *schema.Schema", "aws:eks/cluster:Cluster", "roleArn"),
    ("package variable, key from a package string const", "aws:eks/cluster:Cluster", "flavour"),
    ("helper that sets s.ForceNew = true before returning", "aws:eks/cluster:Cluster", "colour"),
    ("names.AttrX the tree doesn't define: the name is guessed", "aws:eks/cluster:Cluster", "subnetIds"),
    ("nested block, MaxItems 1: flattened, not pluralised", "aws:eks/cluster:Cluster", "pool.zoneIds"),
    ("Elem from a same-package helper; a list block pluralised (the no-SDK guess)", "aws:eks/cluster:Cluster",
     "policys.entry"),
    ("SchemaFunc func literal", "aws:eks/addon:Addon", "clusterName"),
    ("r.Schema[\"k\"].ForceNew = true after the literal", "aws:eks/addon:Addon", "addonName"),
    ("a constructor that delegates to another's", "aws:eks/accessEntry:AccessEntry", "addonName"),
    ("Schema from a helper returning the map", "aws:iam/role:Role", "path"),
    ("SchemaFunc through a package var and a helper chain; s[\"k\"].ForceNew = true", "aws:kms/key:Key", "spec"),
    ("immediately called func literal", "aws:kms/key:Key", "origin"),
    ("Elem from a package variable", "aws:kms/key:Key", "notes.text"),
    ("a local variable in the constructor", "aws:kms/alias:Alias", "targetKeyId"),
    ("an external helper whose name says ForceNew", "aws:kms/alias:Alias", "name"),
    ("Framework RequiresReplace() on an attribute", INGRESS, "groupId"),
    ("Framework attribute from a same-package helper", INGRESS, "peer"),
    ("Framework list block with RequiresReplace, and its nested attribute", INGRESS,
     "windows.opensAt"),
    ("Framework resource named by its Metadata method", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "groupId"),
    ("random: Metadata with req.ProviderTypeName, Schema through a helper", "random:index/randomPassword:RandomPassword",
     "minUpper"),
]


@pytest.mark.parametrize("pattern, token, path", FORCE_NEW, ids=[p for p, _, _ in FORCE_NEW])
def test_each_force_new_pattern_yields_its_path(plain, pattern, token, path):
    assert path in entry(plain, token)["forceNew"]


def test_what_is_not_force_new_stays_out(plain):
    cluster = entry(plain, "aws:eks/cluster:Cluster")["forceNew"]
    assert "tags" not in cluster  # an external helper without ForceNew in its name
    assert "hint" not in cluster  # ForceNew: <expr> is conditional, below
    key = entry(plain, "aws:kms/key:Key")["forceNew"]
    assert "rotate" not in key and "aliases" not in key  # ForceNew: false; a primitive Elem
    assert entry(plain, "random:index/randomPassword:RandomPassword")["forceNew"] == ["length", "minUpper"]


CONDITIONAL = [
    ("ForceNew: <expression>", "aws:eks/cluster:Cluster", "hint",
     {"when": "see source", "source": "ForceNew: isHintFixed"}),
    ("customdiff.ForceNewIfChange: its condition's body", "aws:eks/cluster:Cluster", "secretBoxs",
     {"when": 'return old.(string) != "" && new.(string) == ""', "source": "customdiff.ForceNewIfChange in CustomizeDiff"}),
    ("d.ForceNew in a function CustomizeDiff names: the enclosing if (after non-ASCII text)", "aws:eks/cluster:Cluster",
     "pool.role", {"when": 'if d.Id() != "" && d.HasChange("pool.0.role")', "source": "d.ForceNew in checkPoolRole"}),
    ("aws_instance user_data: the special condition", "aws:ec2/instance:Instance", "userData",
     {"when": "userDataReplaceOnChange", "source": "customdiff.ForceNewIf in CustomizeDiff"}),
    ("switch cases and an if, merged", "aws:ec2/instance:Instance", "tenancy",
     {"when": 'case "host" OR case "dedicated" / if diff.HasChange("tenancy")', "source": "diff.ForceNew in tenancyDiff"}),
    ("a key the reader can't resolve, two functions deep", "aws:ec2/instance:Instance", None,
     {"when": "see source", "source": "diff.ForceNew in labelDiff", "expr": "field"}),
    ("Framework RequiresReplaceIfConfigured", INGRESS, "note",
     {"when": "see source", "source": "RequiresReplaceIfConfigured (replaced when a configured value changes)"}),
    ("Framework RequiresReplaceIf with its description", INGRESS, "port",
     {"when": "see source", "source": "int64planmodifier.RequiresReplaceIf: replaced when the port drops"}),
    ("ModifyPlan setting RequiresReplace, on an embedded type", INGRESS,
     "cidrIpv4", {"when": "if !request.State.Raw.IsNull()", "source": "ModifyPlan of ruleResource sets RequiresReplace"}),
    ("random: a custom plan modifier, its Description()", "random:index/randomPassword:RandomPassword", "keepers",
     {"when": "replaced when a keeper changes", "source": "keepers.RequiresReplaceWhenKeepersChange"}),
    ("the v6 region interceptor, on a regional resource", "aws:kms/key:Key", "region",
     {k: v for k, v in REGION_RULE.items() if k != "path"}),
]


@pytest.mark.parametrize("pattern, token, path, rule", CONDITIONAL, ids=[c[0] for c in CONDITIONAL])
def test_each_conditional_pattern_yields_its_rule(plain, pattern, token, path, rule):
    assert conditional(plain, token, path) == {"path": path, **rule}


def test_a_global_service_gets_no_region_rule_and_the_interceptor_comes_last(plain):
    assert entry(plain, "aws:iam/role:Role")["conditional"] == []
    assert entry(plain, "aws:eks/cluster:Cluster")["conditional"][-1] == REGION_RULE


def test_where_each_entry_comes_from(plain):
    cluster = entry(plain, "aws:eks/cluster:Cluster")
    assert (cluster["source"], cluster["sourceTree"], cluster["kind"]) == ("internal/service/eks/cluster.go", "base", "sdk")
    assert entry(plain, INGRESS)["kind"] == "framework"


def test_what_it_cannot_read_is_a_warning_and_every_table_row_is_accounted_for(plain):
    rules, report = plain
    assert report["warnings"] == [
        "Elem of 'blob' is an external helper 'other.BlobResource()'; nested attributes not read",
        # a one-line `const AttrKind = "kind"` is not read as a names constant
        "names.AttrKind not defined in the tree; assumed 'kind'",
        "names.AttrSubnetIDs not defined in the tree; assumed 'subnet_ids'"]
    aws, random = table_types()
    found = {t for t, e in rules["types"].items() if "error" not in e}
    assert set(rules["types"]) == set(aws) | set(random)
    missing = {t for t, e in rules["types"].items() if e.get("error") == "resource not found in source tree"}
    assert missing == set(rules["types"]) - found and len(found) == 10
    assert report["problems"] == [f"{t}: {aws[t]} not found in the tree" for t in aws if t in missing]


def test_the_sdk_names_the_wire_paths_and_lists_what_the_source_lacks(with_sdk):
    cluster = entry(with_sdk, "aws:eks/cluster:Cluster")
    # the SDK's own names: policies, secretBoxes (the plain run guessed policys, secretBoxs)
    assert cluster["forceNew"] == ["name", "policies.entry", "pool.zoneIds", "roleArn"]
    assert conditional(with_sdk, "aws:eks/cluster:Cluster", "secretBoxes")["source"] == \
        "customdiff.ForceNewIfChange in CustomizeDiff"
    assert cluster["forceNewNotPulumiInputs"] == ["colour", "flavour", "gone", "kind", "subnetIds"]
    assert cluster["sdkInputsNotInSource"] == ["newInput"]
    assert "aws:eks/cluster:Cluster: TF attribute gone has no SDK input (guessed gone)" in with_sdk[1]["problems"]


def test_an_overlay_file_replaces_the_base_file_and_names_its_commit(with_sdk):
    role = entry(with_sdk, "aws:iam/role:Role")
    assert role["forceNew"] == ["namePrefix"]  # the overlay's role.go, not the base's
    assert role["sourceTree"] == "overlay overlay (commit 0123456789abcdef0123456789abcdef01234567)"


def test_only_merges_one_type_into_an_existing_file(plain, tmp_path):
    out = tmp_path / "rules.json"
    out.write_text(json.dumps(plain[0]))
    assert main(["--aws", str(FIXTURE / "aws"), "--aws-overlay", str(FIXTURE / "overlay"), "--only", "aws:iam/role:Role",
                 "--aws-version", "v-test", "--out", str(out)]) == 0
    merged = json.loads(out.read_text())
    assert merged["types"]["aws:iam/role:Role"]["forceNew"] == ["namePrefix"]
    assert {t: e for t, e in merged["types"].items() if t != "aws:iam/role:Role"} == \
        {t: e for t, e in plain[0]["types"].items() if t != "aws:iam/role:Role"}
    assert merged["provenance"]["merged"] == ["aws:iam/role:Role from terraform-provider-aws v-test"]


def test_a_run_does_not_inherit_the_previous_runs_modifier_descriptions(plain, tmp_path):
    """The plain run found keepers' Description(); a later run on a tree without that package must not reuse it."""
    import shutil

    bare = tmp_path / "random"
    shutil.copytree(FIXTURE / "random" / "internal" / "provider", bare / "internal" / "provider")
    out = tmp_path / "rules.json"
    assert main(["--aws", str(FIXTURE / "aws"), "--random", str(bare), "--out", str(out)]) == 0
    (keepers,) = [c for c in json.loads(out.read_text())["types"]["random:index/randomPassword:RandomPassword"][
        "conditional"] if c["path"] == "keepers"]
    assert keepers["when"] == keepers["source"] == "keepers.RequiresReplaceWhenKeepersChange"


def test_the_comparison_script_names_each_difference(plain, tmp_path, capsys):
    from scripts.replacement_rules.compare import main as compare

    committed = tmp_path / "committed.json"
    committed.write_text(json.dumps(plain[0]))
    args = ["--aws", str(FIXTURE / "aws"), "--random", str(FIXTURE / "random"), "--committed", str(committed)]
    assert compare(args) == 0
    changed = json.loads(json.dumps(plain[0]))
    changed["types"]["aws:kms/key:Key"]["forceNew"] = ["origin"]
    del changed["types"]["aws:iam/role:Role"]
    committed.write_text(json.dumps(changed))
    capsys.readouterr()
    assert compare(args) == 1
    assert capsys.readouterr().out.splitlines() == [
        "aws:iam/role:Role: only generated",
        'aws:kms/key:Key: forceNew committed ["origin"], generated ["notes.text", "origin", "spec"]']
