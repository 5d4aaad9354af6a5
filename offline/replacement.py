"""Which changes replace a resource, and which update it in place.

The rules for the AWS and random resources are generated from the providers' own schemas (the
Terraform attributes marked ForceNew or RequiresReplace, at the exact versions the pinned pulumi-aws
and pulumi-random are built from) into `offline/replacement_rules.json`, with their provenance; see
`scripts/generate_replacement_rules.py` to regenerate them when pulumi-aws moves. Conditional rules
that depend on another input (`userData` replaces only with `userDataReplaceOnChange`) are applied
where that input is an input of the resource; the others are reported as "may replace". Pulumi's own
`replaceOnChanges` option (recorded with every registration) forces replacement too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent / "replacement_rules.json"
# pulumi-kubernetes replaces an object whose identity changes (a new name or namespace is a new object);
# the Kubernetes API rejects changes to a Deployment's selector and a Service's cluster IP.
KUBERNETES_FORCE_NEW = {
    "*": ["metadata.name", "metadata.namespace"],
    "kubernetes:apps/v1:Deployment": ["spec.selector"],
    "kubernetes:core/v1:Service": ["spec.clusterIP", "spec.clusterIPs"],
}


@cache
def rules() -> dict[str, Any]:
    return json.loads(RULES_FILE.read_text())


def changed_paths(old: Any, new: Any, prefix: str = "") -> set[str]:
    """Dotted paths (list indices dropped) of every leaf that differs between two input values."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: set[str] = set()
        for key in old.keys() | new.keys():
            out |= changed_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return set().union(*(changed_paths(a, b, prefix) for a, b in zip(old, new, strict=True)))
    return set() if old == new else {prefix}


def _matches(path: str, rule: str) -> bool:
    return path == rule or path.startswith(rule + ".") or rule.startswith(path + ".")


def replacement(rtype: str, old_inputs: dict, new_inputs: dict,
                replace_on_changes: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(inputs whose change forces a replacement, conditional rules that may) for one changed resource.
    `replace_on_changes` is the resource's Pulumi option of that name ("*" for any input)."""
    changed = changed_paths(old_inputs, new_inputs)
    by_option = [p for p in changed if "*" in replace_on_changes
                 or any(_matches(p, rule) for rule in replace_on_changes)]
    if rtype.startswith("kubernetes:"):
        force_new = KUBERNETES_FORCE_NEW["*"] + KUBERNETES_FORCE_NEW.get(rtype, [])
        conditional: list[dict] = []
    else:
        entry = rules()["types"].get(rtype, {})
        force_new, conditional = entry.get("forceNew", []), entry.get("conditional", [])
    forced = sorted({rule for rule in force_new for path in changed if _matches(path, rule)})
    maybe = []
    for rule in conditional:
        if not any(_matches(path, rule["path"]) for path in changed):
            continue
        when = rule.get("when", "")
        if re.fullmatch(r"[a-zA-Z]+", when):  # another input of the resource decides
            if new_inputs.get(when):
                forced.append(rule["path"])
        else:
            maybe.append(f"{rule['path']} ({rule.get('source', when)})")
    return sorted(set(forced) | set(by_option)), maybe


def has_rules(rtype: str) -> bool:
    return rtype.startswith("kubernetes:") or rtype.startswith("pulumi:") or rtype in rules()["types"]


# pulumi-aws's explicit auto-names (provider/resources.go: `tfbridge.AutoName("nodeGroupName", 255, "-")`);
# every other AWS resource with a `name` input is auto-named by `prov.SetAutonaming(255, "-")`.
EXPLICIT_AUTO_NAMES = {"aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
                       "aws:eks/fargateProfile:FargateProfile": "fargateProfileName"}


@cache
def auto_named_input(type_: str) -> str | None:
    """The input the provider names automatically when the program leaves it out, or None. For AWS
    types: the explicit AutoName fields, else `name` where the pulumi-aws SDK's class takes one (the
    bridge's SetAutonaming gives every TF `name` input an auto-name)."""
    if type_ in EXPLICIT_AUTO_NAMES:
        return EXPLICIT_AUTO_NAMES[type_]
    package, _, rest = type_.partition(":")
    if package != "aws" or "/" not in rest:
        return None
    import importlib
    import inspect

    module, class_name = rest.partition("/")[0], rest.rpartition(":")[2]
    try:
        cls = getattr(importlib.import_module(f"pulumi_aws.{module}"), class_name)
    except (ImportError, AttributeError):
        return None
    return "name" if "name" in inspect.signature(cls._internal_init).parameters else None


def provider_deletes_first(type_: str, inputs: dict[str, Any]) -> bool:
    """The bridge replaces delete-first when the program sets an auto-named input itself: two resources
    can't hold one physical name, so the old one must go before the new one is created."""
    field = auto_named_input(type_)
    return field is not None and inputs.get(field) not in (None, "")
