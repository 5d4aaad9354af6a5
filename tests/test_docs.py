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
