"""README's configuration reference is generated from the config model and must match it."""

from __future__ import annotations

from workshop.docs import END, START, config_reference, generated_sections, render_section


def test_generated_sections_match_the_code():
    for path, start, end, content in generated_sections():
        text = path.read_text()
        assert start in text and end in text, path
        assert render_section(text, content, start, end) == text, f"{path} is stale: run `make docs`"


def test_reference_lists_every_top_level_key_with_each_stacks_value():
    reference = config_reference()
    for key in ("aws:region", "eks-workshop:cluster.name", "eks-workshop:network.natGateways",
                "eks-workshop:nodeGroups.default.maxSize", "eks-workshop:vpcCni.version",
                "eks-workshop:addons", "eks-workshop:tags", "eks-workshop:protect"):
        assert f"`{key}`" in reference
    protect = next(line for line in reference.splitlines() if line.startswith("| `eks-workshop:protect`"))
    assert protect.split(" | ")[3:6] == ["`false`", "`false`", "`true`"]  # dev, staging, prod


def test_render_replaces_only_the_marked_section():
    text = f"head\n{START}\nold\n{END}\ntail\n"
    assert render_section(text, "new") == f"head\n{START}\nnew\n{END}\ntail\n"


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


def test_the_roles_iam_actions_cover_every_invoke_and_type_and_readme_says_them():
    from offline.docs import README, render
    from offline.iam_actions import INVOKE_ACTIONS, deploy_services, service_of
    from offline.mock_handlers import INVOKES
    from offline.resource_types import TYPES

    # Every data source the mock engine answers (so every one the program can make) has its actions.
    assert set(INVOKE_ACTIONS) == set(INVOKES)
    assert ("ec2:DescribeManagedPrefixLists" in INVOKE_ACTIONS["aws:ec2/getManagedPrefixList:getManagedPrefixList"])
    # Every AWS type of the table belongs to a service the deploy role covers.
    assert all(service_of(t) for t in TYPES if t.startswith("aws:"))
    assert {"ec2", "eks", "iam", "kms", "logs"} <= set(deploy_services())
    text = README.read_text()
    assert render(text, ("iam",)) == text, "README's IAM list is stale: run `make docs`"


def test_readme_shows_the_summary_make_plan_prints_for_dev():
    from offline.docs import README, render

    text = README.read_text()
    assert render(text, ("plan-sample",)) == text, "README's sample summary is stale: run `make docs`"
    assert "== eks-workshop/dev\n  changes:" in text
