"""README's configuration reference is generated from the config model and must match it."""

from __future__ import annotations

from pathlib import Path

from workshop.docs import END, START, config_reference, render_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_config_reference_matches_the_model():
    text = README.read_text()
    assert render_readme(text, config_reference()) == text, "README is stale: run `make docs`"


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
    assert render_readme(text, "new") == f"head\n{START}\nnew\n{END}\ntail\n"
