"""The docs' generated parts match the code, and what they promise holds."""

from __future__ import annotations

import json

import pytest
from plan_support import COMMITTED_STACKS, dated, plan_cli, program_copy  # noqa: F401 - fixtures

from offline.analyzer import PolicyPackProcess, load_policy_config
from offline.docs import PLAN_SCHEMA_FILE, files, plan_schema, sections
from offline.runner import run_stack
from workshop.docs import Section, config_reference
from workshop.project import ROOT


@pytest.mark.parametrize("section", sections(), ids=lambda s: f"{s.path.relative_to(ROOT)}:{s.name}")
def test_generated_sections_match_the_code(section):
    text = section.path.read_text()
    assert section.render(text) == text, f"{section.path.relative_to(ROOT)} is stale: run `make docs`"


def test_generated_files_match_the_code():
    stale = [str(path.relative_to(ROOT)) for path, content in files().items() if path.read_text() != content]
    assert stale == [], "stale: run `make docs`"


def test_a_page_without_its_markers_is_an_error_not_a_silent_skip(tmp_path):
    page = tmp_path / "page.md"
    section = Section(page, "thing", lambda: "new")
    assert section.render("head\n<!-- thing:start -->\nold\n<!-- thing:end -->\ntail\n") == \
        "head\n<!-- thing:start -->\nnew\n<!-- thing:end -->\ntail\n"
    with pytest.raises(ValueError, match="lacks the markers <!-- thing:start -->"):
        Section(ROOT / "README.md", "thing", lambda: "new").render("no markers here")


def test_every_plan_validates_against_the_published_schema_and_a_broken_one_does_not(dev_plan):
    import jsonschema

    schema = json.loads(PLAN_SCHEMA_FILE.read_text())
    assert schema == plan_schema()
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(dev_plan)) == []
    broken = {**dev_plan, "resources": [{k: v for k, v in r.items() if k != "urn"} for r in dev_plan["resources"]]}
    assert any("'urn' is a required property" in e.message for e in validator.iter_errors(broken))


def test_a_users_own_stack_changes_no_generated_doc(program_copy):
    # The docs describe the project's stacks; one a user adds beside them is theirs.
    dev = (program_copy / "Pulumi.dev.yaml").read_text()
    (program_copy / "Pulumi.alice.yaml").write_text(dev.replace("name: eks-workshop\n", "name: eks-workshop-alice\n"))
    assert config_reference(program_copy) == config_reference(ROOT)


def test_reference_lists_every_top_level_key_with_each_stacks_value():
    reference = config_reference()
    for key in ("aws:region", "eks-workshop:cluster.name", "eks-workshop:network.natGateways",
                "eks-workshop:nodeGroups.default.maxSize", "eks-workshop:vpcCni.version",
                "eks-workshop:addons", "eks-workshop:tags", "eks-workshop:protect"):
        assert f"`{key}`" in reference
    protect = next(line for line in reference.splitlines() if line.startswith("| `eks-workshop:protect`"))
    assert protect.split(" | ")[3:6] == ["`false`", "`false`", "`true`"]  # dev, staging, prod


def test_stack_files_validate_against_the_generated_schema_and_typos_do_not():
    import copy
    import json

    import jsonschema
    import yaml

    from workshop.docs import SCHEMA_FILE, stack_config_schema
    from workshop.project import ROOT, stacks

    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema == stack_config_schema(), "docs/stack-config.schema.json is stale: run `make docs`"
    validator = jsonschema.Draft7Validator(schema)
    for stack in stacks():
        text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        # The committed stacks point editors at the schema; a user's own stack need not (it validates all the same).
        if stack in COMMITTED_STACKS:
            assert text.startswith("# yaml-language-server: $schema=docs/stack-config.schema.json"), stack
        assert list(validator.iter_errors(yaml.safe_load(text))) == [], stack
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    for change, where in ((lambda c: c["config"]["eks-workshop:nodeGroups"]["default"].update(minSzie=3), "minSzie"),
                          (lambda c: c["config"].update({"eks-workshop:clustr": {}}), "eks-workshop:clustr"),
                          (lambda c: c["config"]["eks-workshop:cluster"].update(version=1.3), "1.3"),
                          # Rules on one value reach the schema too: enums and patterns.
                          (lambda c: c["config"]["eks-workshop:cluster"].update(authenticationMode="IAM"), "IAM"),
                          (lambda c: c["config"]["eks-workshop:ide"].update(instanceType="t3"), "t3"),
                          (lambda c: c["config"]["eks-workshop:nodeGroups"]["default"].update(diskSize=10), "10")):
        bad = copy.deepcopy(dev)
        change(bad)
        errors = [e.message for e in validator.iter_errors(bad)]
        assert errors and any(where in m for m in errors), (where, errors)


def test_the_roles_iam_actions_cover_every_invoke_and_type():
    from offline.iam_actions import INVOKE_ACTIONS
    from offline.mock_handlers import INVOKES

    # Every data source the mock engine answers (so every one the program can make) has its actions.
    assert set(INVOKE_ACTIONS) == set(INVOKES)
    assert ("ec2:DescribeManagedPrefixLists" in INVOKE_ACTIONS["aws:ec2/getManagedPrefixList:getManagedPrefixList"])


def _pages() -> list:
    return [ROOT / "README.md", ROOT / "policies" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_relative_link_in_the_docs_resolves():
    import re

    broken = []
    for page in _pages():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://", "mailto:")) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_readme_is_the_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250
    first_screen = "\n".join(lines[:30])
    assert "make plan" in first_screen and "make test" in first_screen
    # Every page by task is reachable from it.
    linked = {p.name for p in (ROOT / "docs").glob("*.md") if f"](docs/{p.name})" in "\n".join(lines)}
    assert linked == {p.name for p in (ROOT / "docs").glob("*.md")}


def test_only_a_stack_with_the_ide_gets_the_labs_line():
    # The project's stacks as `make plan` printed them (the plan the generated docs come from).
    from offline.docs import _planned

    planned = _planned()
    for stack, (printed, plan) in planned.items():
        summary = printed.split("\n\n", 1)[0]
        if stack == "dev":
            assert plan.labs is not None and plan.labs.ready and "\n  labs:        ready, checked against " in summary
        else:
            assert plan.labs is None and "labs:" not in printed and "labs" not in plan.to_json()


def test_the_stacks_of_your_own_stack_md_plan_as_written(plan_cli, program_copy, tmp_path):
    """The page's team stack (eu-west-2, private API, no IDE, no hybrid nodes) as written, and its recipe's
    copy of dev (steps 1-3: its own cluster name, VPC CIDR and account) plan with exit 0, as the page says."""
    page = (ROOT / "docs" / "your-own-stack.md").read_text()
    block = page.split("<!-- team-stack -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (program_copy / "Pulumi.payments.yaml").write_text(block)
    text = (program_copy / "Pulumi.dev.yaml").read_text()
    for old, new in (("    name: eks-workshop\n", "    name: alice\n"), ("vpcCidr: 10.42.0.0/16", "vpcCidr: 10.80.0.0/16"),
                     ('["111122223333"]', '["999988887777"]')):
        assert old in text, old
        text = text.replace(old, new, 1)
    (program_copy / "Pulumi.alice.yaml").write_text(text)
    result = plan_cli("--root", str(program_copy), "--stack", "payments", "--stack", "alice", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan-payments.json").read_text())
    assert plan["outputs"]["region"] == "eu-west-2" and "ideUrl" not in plan["outputs"]
    cluster = next(r for r in plan["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] is False and "remoteNetworkConfig" not in cluster["inputs"]
    assert "no price table for region 'eu-west-2'" in result.stdout
    assert "== eks-workshop/payments" in result.stdout and "(policies/config/default.json)" in result.stdout
    assert "guards:      protect on, EKS deletion protection on, zonal shift on, node auto repair on" in result.stdout
    assert json.loads((tmp_path / "plan-alice.json").read_text())["stack"] == "alice"
    # With the policy config the page gives it, prod's, every policy mandatory: nothing to refuse.
    assert "`cp policies/config/prod.json policies/config/payments.json`" in page
    run = run_stack("payments", root=program_copy)  # the plan's own run
    with PolicyPackProcess(stack="payments", stack_config=run.config) as pack:
        pack.configure(dated(load_policy_config("prod")))
        assert pack.analyze_run(run) == []
