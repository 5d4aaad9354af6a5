"""A plan (build/plan-<stack>.json) as the Terraform plan JSON infrastructure scanners read
(`terraform show -json`: checkov's terraform_plan framework), so that they judge what this program plans.

pulumi-aws is bridged from the Terraform AWS provider, so each resource is a Terraform resource with the
same attributes under other spellings. The conversion:

- **Types**: the `terraform` column of offline/resource_types.py. Kubernetes objects, components and
  Pulumi's own resources have none and are left out (`skipped`).
- **Names**: a wire name (camelCase) becomes its Python name through the SDK's own getters
  (`pulumi._types`, recursively through the nested types), which is the Terraform name except where the
  bridge pluralised a list block (`taints` for Terraform's `taint`): those are singularised, but for the
  names Terraform spells plural itself (PLURAL_IN_TERRAFORM) and the lists of values it spells singular
  (SINGULAR_VALUE_LISTS).
- **Nesting**: an object (a block the bridge flattened, MaxItems 1) becomes a one-element list, as
  Terraform shows blocks; maps (tags) stay maps; JSON policy strings stay strings.
- **Unset**: an empty list is null (the SDKv2 provider doesn't tell them apart; checkov reads `[]` as
  `[[]]` and some checks then fail to run); unknown values are null; secrets are `[secret]`.
- **References**: a value that is the ID, ARN or name of a resource its input depends on (Pulumi's
  `propertyDependencies`) is what a first `terraform plan` shows as unknown with a reference in
  `configuration`: written so, the scanners' connection checks (a VPC's flow log, a security group's
  use) see the link.

checkov's parser needs `terraform_version` and `planned_values` at the top and `mode: managed` on each
resource, or it scans nothing and passes (its source: checkov/terraform/context_parsers/tf_plan and
checkov/terraform/plan_parser.py); offline/scan.py checks that every converted resource was scanned.
"""

from __future__ import annotations

import collections.abc as cabc
import importlib
import re
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from offline.resource_types import TYPES
from offline.wire import UNKNOWN_WIRE, is_secret

TERRAFORM_VERSION = "1.11.4"  # any 1.x: the scanners read the JSON format, not the binary
PROVIDERS = {"aws": "registry.terraform.io/hashicorp/aws", "random": "registry.terraform.io/hashicorp/random"}

# Terraform names that are plural already although they are lists of blocks (not singularised), checked
# against `terraform providers schema -json` of hashicorp/aws for every type of the table (2026-12-06).
PLURAL_IN_TERRAFORM = frozenset({"block_device_mappings", "tag_specifications", "trusted_key_groups",
                                 "trusted_signers", "notification_settings", "resources", "items",
                                 "aws_launch_template.network_interfaces"})
# Lists of values the bridge pluralised (Terraform's names are singular); other value lists keep theirs.
SINGULAR_VALUE_LISTS = {"client_id_lists": "client_id_list", "thumbprint_lists": "thumbprint_list",
                        "default_addons_to_removes": "default_addons_to_remove"}


@dataclass(frozen=True)
class Prop:
    """One SDK property: its Python (Terraform) name, its kind, and the shape of what it nests."""

    py: str
    kind: str  # scalar | map | list | object | objects
    child: dict[str, Prop] | None = None


def _kind(tp: Any, seen: dict[type, dict[str, Prop]]) -> tuple[str, dict[str, Prop] | None]:
    from pulumi import _types as sdk

    tp = sdk.unwrap_type(tp)
    origin = typing.get_origin(tp)
    if origin in (list, tuple, typing.Sequence, cabc.Sequence):
        element, child = _kind(typing.get_args(tp)[0], seen)
        return ("objects", child) if element == "object" else ("list", None)
    if origin in (dict, typing.Mapping, cabc.Mapping):
        return "map", None
    if isinstance(tp, type) and sdk.is_output_type(tp):
        return "object", _output_shape(tp, seen)
    return "scalar", None


def _output_shape(cls: type, seen: dict[type, dict[str, Prop]]) -> dict[str, Prop]:
    from pulumi import _types as sdk

    if cls not in seen:
        seen[cls] = shape = {}
        types = sdk.output_type_types(cls)
        for wire, py in sdk._pulumi_to_py_names_from_py_properties(cls).items():  # noqa: SLF001 - the SDK's map
            shape[wire] = Prop(py, *_kind(types[wire], seen)) if wire in types else Prop(py, "scalar")
    return seen[cls]


@cache
def resource_shape(token: str) -> dict[str, Prop]:
    """Wire name -> Prop for a resource type, from its SDK class (`aws:eks/cluster:Cluster`)."""
    from pulumi import _types as sdk

    package, module_path, name = token.split(":")
    module = module_path.split("/")[0]
    cls = getattr(importlib.import_module(f"pulumi_{package}" if module == "index" else f"pulumi_{package}.{module}"),
                  name)
    types = sdk.resource_types(cls)
    seen: dict[type, dict[str, Prop]] = {}
    return {wire: Prop(py, *_kind(types[wire], seen)) if wire in types else Prop(py, "scalar")
            for wire, py in sdk.resource_pulumi_to_py_names(cls).items()}


def singular(name: str) -> str:
    head, _, last = name.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last.endswith("ies") and len(last) > 4:
        return prefix + last[:-3] + "y"
    if last.endswith(("sses", "shes", "ches", "xes")):
        return prefix + last[:-2]
    if last.endswith("s") and not last.endswith("ss"):
        return prefix + last[:-1]
    return name


def terraform_name(prop: Prop, tf_type: str) -> str:
    if prop.kind == "list":
        return SINGULAR_VALUE_LISTS.get(prop.py, prop.py)
    if prop.kind == "objects" and prop.py not in PLURAL_IN_TERRAFORM and f"{tf_type}.{prop.py}" not in PLURAL_IN_TERRAFORM:
        return singular(prop.py)
    return prop.py


def _snake(wire: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", wire).lower()


def _number(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v  # the wire has only floats


def convert_values(values: dict[str, Any], shape: dict[str, Prop] | None, tf_type: str) -> dict[str, Any]:
    """Wire values -> Terraform attribute values, by the SDK's shape of the type."""
    out = {}
    for wire, value in values.items():
        prop = (shape or {}).get(wire) or Prop(_snake(wire), "map" if isinstance(value, dict) else "scalar")
        out[terraform_name(prop, tf_type)] = _convert(value, prop, tf_type)
    return out


def _convert(value: Any, prop: Prop, tf_type: str) -> Any:
    if is_secret(value):
        return "[secret]"  # a file scanners read and print: never a secret's value
    if value is None or value == UNKNOWN_WIRE:
        return None
    if prop.kind == "map" and isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if prop.kind == "object" and isinstance(value, dict):
        return [convert_values(value, prop.child, tf_type)]
    if isinstance(value, list):
        items = [convert_values(v, prop.child, tf_type) if isinstance(v, dict) else _number(v) for v in value]
        return items or None
    return _number(value)


def address(tf_type: str, name: str, used: set[str]) -> str:
    """A unique Terraform address for a logical name (`aws_vpc.network`)."""
    base = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    base = base if re.match(r"[A-Za-z_]", base) else f"_{base}"
    candidate, n = f"{tf_type}.{base}", 2
    while candidate in used:
        candidate, n = f"{tf_type}.{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def _identities(resource: dict[str, Any]) -> dict[str, str]:
    """The strings other resources name this one by (its ID, ARN, name, `…Id`, `…Arn`) -> the attribute."""
    found: dict[str, str] = {}
    for key, value in (resource.get("outputs") or {}).items():
        if isinstance(value, str) and len(value) >= 4 and (key in ("arn", "name") or key.endswith(("Id", "Arn"))):
            found.setdefault(value, _snake(key))
    if isinstance(resource.get("id"), str) and resource["id"]:
        found[resource["id"]] = "id"
    return found


def _link(values: dict[str, Any], key: str, deps: list[tuple[str, dict[str, str]]],
          unknown: dict[str, Any], expressions: dict[str, Any]) -> None:
    """Null the value at `key` (or the items of a list of them) that name a dependency; record references."""
    def refs(v: Any) -> list[str]:
        return [r for addr, ids in deps if isinstance(v, str) and v in ids for r in (f"{addr}.{ids[v]}", addr)]

    value = values.get(key)
    if isinstance(value, str) and (found := refs(value)):
        values[key], unknown[key], expressions[key] = None, True, {"references": found}
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value) and all(map(refs, value)):
        values[key], unknown[key] = None, True
        expressions[key] = {"references": [r for v in value for r in refs(v)]}
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        nested: list[tuple[dict[str, Any], dict[str, Any]]] = [({}, {}) for _ in value]
        for item, (u, e) in zip(value, nested, strict=True):
            for k in list(item):
                _link(item, k, deps, u, e)
        if any(e for _, e in nested):
            unknown[key], expressions[key] = [u for u, _ in nested], [e for _, e in nested]


@dataclass(frozen=True)
class Converted:
    document: dict[str, Any]  # the Terraform plan JSON
    addresses: dict[str, str]  # URN -> Terraform address
    skipped: list[str]  # `<type> <name>` of what has no Terraform type


def convert(plan: dict[str, Any], region: str = "") -> Converted:
    """The plan file's content (as JSON) as Terraform plan JSON."""
    terraform = {token: row.terraform for token, row in TYPES.items() if row.terraform}
    resources = plan["resources"]
    used: set[str] = set()
    addresses = {r["urn"]: address(terraform[r["type"]], r["name"], used)
                 for r in resources if r.get("custom") and r["type"] in terraform}
    by_urn = {r["urn"]: r for r in resources}
    planned, changes, configuration = [], [], []
    for r in resources:
        addr = addresses.get(r["urn"])
        if addr is None:
            continue
        tf_type, name = addr.split(".", 1)
        shape = resource_shape(r["type"])
        # computed outputs the SDK knows (an ARN), the inputs over them: what the program sets wins
        merged = {**{k: v for k, v in (r.get("outputs") or {}).items() if k in shape}, **(r.get("inputs") or {})}
        merged.pop("id", None)
        values = convert_values(merged, shape, tf_type)
        if r.get("id"):
            values["id"] = r["id"]
        unknown: dict[str, Any] = {}
        expressions: dict[str, Any] = {}
        for wire, urns in (r.get("propertyDependencies") or {}).items():
            deps = [(addresses[u], _identities(by_urn[u])) for u in urns if u in addresses]
            prop = shape.get(wire)
            key = terraform_name(prop, tf_type) if prop else _snake(wire)
            if deps and key in values:
                _link(values, key, deps, unknown, expressions)
        provider = PROVIDERS[r["type"].split(":")[0]]
        common = {"address": addr, "mode": "managed", "type": tf_type, "name": name, "provider_name": provider}
        planned.append({**common, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append({**common, "change": {"actions": ["create"], "before": None, "after": values,
                                             "after_unknown": unknown}})
        configuration.append({"address": addr, "mode": "managed", "type": tf_type, "name": name,
                              "provider_config_key": provider.rsplit("/", 1)[1], "expressions": expressions})
    aws = {"name": "aws", "full_name": PROVIDERS["aws"],
           "expressions": {"region": {"constant_value": region}} if region else {}}
    document = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": aws}, "root_module": {"resources": configuration}},
    }
    skipped = [f"{r['type']} {r['name']}" for r in resources if r["urn"] not in addresses]
    return Converted(document, addresses, skipped)
