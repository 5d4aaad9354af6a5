"""The generated parts of the docs that need only the config package: the configuration reference
(docs/your-own-stack.md), the version table (docs/upgrades.md), the output contract (docs/outputs.md),
the stack files' JSON Schema and the policy pack's copy of the version catalogue.

A generated section stands between `<!-- <name>:start -->` and `<!-- <name>:end -->` in its page.
offline/docs.py adds the parts that need the offline tools and writes them all (`make docs`);
tests/test_docs.py fails while any differs from what the code generates.
"""

from __future__ import annotations

import collections.abc
import json
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workshop import versions
from workshop.config import NodeGroupConfig, StackConfig, Taint, parse
from workshop.config.errors import unwrap
from workshop.project import PROJECT, PROMOTION_ORDER, load_stack_config
from workshop.project import stacks as project_stacks

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMA_FILE = DOCS / "stack-config.schema.json"

@dataclass(frozen=True)
class Section:
    """A generated section of a page: what stands between its markers."""

    path: Path
    name: str
    content: Callable[[], str]

    @property
    def markers(self) -> tuple[str, str]:
        return f"<!-- {self.name}:start -->", f"<!-- {self.name}:end -->"

    def render(self, text: str) -> str:
        """`text` with this section's content between its markers; a page without them is an error."""
        start, end = self.markers
        head, found, rest = text.partition(start)
        if not found or end not in rest:
            raise ValueError(f"{self.path.relative_to(ROOT)} lacks the markers {start} ... {end}")
        _, _, tail = rest.partition(end)
        return f"{head}{start}\n{self.content()}\n{end}{tail}"

def _fields(cls: type[BaseModel]) -> list[tuple[str, str, Any, str]]:
    """(python name, wire name, annotation, doc) of each field, in declaration order."""
    return [(name, f.alias or name, f.annotation, f.description or "") for name, f in cls.model_fields.items()]

def _model(tp: Any) -> type[BaseModel] | None:
    tp = unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None

def _type(tp: Any) -> str:
    tp = unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is tuple:
        return f"list of {_type(typing.get_args(tp)[0])}"
    if origin is collections.abc.Mapping:
        return f"map of {_type(typing.get_args(tp)[1])}"
    if origin is typing.Literal:
        return _type(type(typing.get_args(tp)[0]))
    if _model(tp):
        return "object"
    return {bool: "bool", int: "int", str: "string"}[tp]

def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, collections.abc.Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value

def _show(value: Any) -> str:
    return f"`{json.dumps(_plain(value))}`"

def _rows(cls: type[BaseModel], instances: list[Any], prefix: str) -> list[list[str]]:
    """One row per leaf field: key, type, default, one value per stack, doc."""
    default = cls()
    rows = []
    for name, wire, tp, doc in _fields(cls):
        key = f"{prefix}{wire}"
        if (model := _model(tp)) is not None:
            rows += _rows(model, [getattr(i, name) for i in instances], f"{key}.")
            continue
        values = [_show(getattr(i, name)) for i in instances]
        rows.append([f"`{key}`", _type(tp), _show(getattr(default, name)), *values, doc])
    return rows

def _node_group_rows(default: StackConfig, stacks: Sequence[StackConfig], key: str) -> list[list[str]]:
    """`nodeGroups.<name>.<field>` rows for every group any stack defines; `-` where it has none."""
    names = list(dict.fromkeys(n for s in (default, *stacks) for n in s.node_groups))
    rows = []
    for group in names:
        for name, wire, tp, doc in _fields(NodeGroupConfig):
            cells = [_show(getattr(s.node_groups[group], name)) if group in s.node_groups else "-"
                     for s in (default, *stacks)]
            rows.append([f"`{key}.{group}.{wire}`", _type(tp), *cells, doc])
    return rows

def config_reference(root: Path = ROOT) -> str:
    # The project's own stacks; one a user adds beside them is theirs, and not part of the docs.
    names = [s for s in project_stacks(root) if s in PROMOTION_ORDER]
    stacks = [parse(load_stack_config(s, root)) for s in names]
    header = ["key", "type", "default", *names, "meaning"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    default = StackConfig()
    for name, key, tp, doc in _fields(StackConfig):
        if (model := _model(tp)) is not None:
            rows = _rows(model, [getattr(s, name) for s in stacks], f"{key}.")
        elif name == "node_groups":
            rows = _node_group_rows(default, stacks, key)
        else:
            rows = [[f"`{key}`", _type(tp), _show(getattr(default, name)),
                     *[_show(getattr(s, name)) for s in stacks], doc]]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", f"`{PROJECT}:nodeGroups` maps a group name to these keys; a stack's map replaces the "
              "default wholly:", "",
              "| key | type | default | meaning |", "|---|---|---|---|"]
    for cls, prefix in ((NodeGroupConfig, ""), (Taint, "taints[].")):
        for name, wire, tp, doc in _fields(cls):
            lines.append(f"| `{prefix}{wire}` | {_type(tp)} | {_show(getattr(cls(), name))} | {doc} |")
    return "\n".join(lines)

def without_titles(node: Any) -> Any:
    """pydantic titles every property with its Python name; editors show the description instead."""
    if isinstance(node, dict):
        return {k: without_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [without_titles(v) for v in node]
    return node

def stack_config_schema() -> dict[str, Any]:
    """The JSON Schema of `Pulumi.<stack>.yaml`, from the config model (pydantic's, by wire name): editors
    mark typos and wrong types before anything runs (docs/your-own-stack.md "Editor support")."""
    model = without_titles(StackConfig.model_json_schema(by_alias=True, mode="validation"))
    keys = model["properties"]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"Pulumi.<stack>.yaml of {PROJECT} (generated by `make docs` from workshop/config/model.py)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": keys,
                # Other namespaces (aws:, pulumi:) are the providers'; this project's keys are these only.
                "propertyNames": {"anyOf": [{"not": {"pattern": f"^{PROJECT}:"}}, {"enum": sorted(keys)}]},
                "required": ["aws:region"],
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "$defs": model.get("$defs", {}),
    }

def versions_table() -> str:
    """The version catalogue as docs/upgrades.md shows it: calendar, default and every pin."""
    cat = versions.catalogue()
    header = ["version", "EKS GA", "standard support ends", "extended support ends", *cat.addon_names,
              *(f"AMI release ({t})" for t in cat.ami_types)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in cat.names:
        v = cat.versions[name]

        def pin(p: versions.Pin) -> str:
            return f"`{p.version}`" + ("" if p.confirmed else " (unconfirmed)")

        label = f"**{name}** (default)" if name == cat.default else name
        lines.append("| " + " | ".join([
            label, str(v.released), str(v.standard_support_ends), str(v.extended_support_ends),
            *(pin(v.addons[a]) for a in cat.addon_names), *(pin(v.ami_releases[t]) for t in cat.ami_types),
        ]) + " |")
    lines += ["", f"Taken {cat.taken}. Sources:"]
    lines += [f"- `{key}`: {url}" for key, url in cat.sources.items()]
    return "\n".join(lines)

def sections(root: Path = ROOT) -> list[Section]:
    from workshop.contract import outputs_table

    return [
        Section(root / "docs" / "your-own-stack.md", "config-reference", lambda: config_reference(root)),
        Section(root / "docs" / "upgrades.md", "versions", versions_table),
        Section(root / "docs" / "outputs.md", "outputs", outputs_table),
    ]

def files() -> dict[Path, str]:
    """Whole generated files and their content."""
    return {
        SCHEMA_FILE: json.dumps(stack_config_schema(), indent=2) + "\n",
        # The policy pack runs standalone under the Pulumi CLI: it gets its own copy of the catalogue.
        versions.POLICY_PACK_COPY: versions.CATALOGUE_FILE.read_text(),
    }
