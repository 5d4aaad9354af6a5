"""Generated documentation: README's configuration reference (from the config model) and the output
contract in docs/outputs.md (from workshop/contract.py), so neither can drift from the code.

`make docs` rewrites the sections between their markers; tests/test_docs.py fails when they differ.
"""

from __future__ import annotations

import collections.abc
import json
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workshop import versions
from workshop.config import NodeGroupConfig, StackConfig, Taint, parse
from workshop.config.errors import unwrap
from workshop.project import PROJECT, load_stack_config
from workshop.project import stacks as project_stacks

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
OUTPUTS_START, OUTPUTS_END = "<!-- outputs:start -->", "<!-- outputs:end -->"
VERSIONS_START, VERSIONS_END = "<!-- versions:start -->", "<!-- versions:end -->"


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
        if _model(tp):
            rows += _rows(_model(tp), [getattr(i, name) for i in instances], f"{key}.")
            continue
        values = [_show(getattr(i, name)) for i in instances]
        rows.append([f"`{key}`", _type(tp), _show(getattr(default, name)), *values, doc])
    return rows


def _node_group_rows(default: StackConfig, stacks: list[StackConfig], key: str) -> list[list[str]]:
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
    names = project_stacks(root)
    stacks = [parse(load_stack_config(s, root)) for s in names]
    header = ["key", "type", "default", *names, "meaning"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    default = StackConfig()
    for name, key, tp, doc in _fields(StackConfig):
        if _model(tp):
            rows = _rows(_model(tp), [getattr(s, name) for s in stacks], f"{key}.")
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


SCHEMA_FILE = ROOT / "docs" / "stack-config.schema.json"


def _without_titles(node: Any) -> Any:
    """pydantic titles every property with its Python name; editors show the description instead."""
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


def stack_config_schema() -> dict[str, Any]:
    """The JSON Schema of `Pulumi.<stack>.yaml`, from the config model (pydantic's, by wire name): editors
    mark typos and wrong types before anything runs (README "Editor support")."""
    model = _without_titles(StackConfig.model_json_schema(by_alias=True, mode="validation"))
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
    """The version catalogue as README shows it: calendar, default and every pin."""
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


def render_section(text: str, content: str, start: str = START, end: str = END) -> str:
    """`text` with what stands between the `start` and `end` marker lines replaced by `content`."""
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{content}\n{end}{tail}"


def generated_sections(root: Path = ROOT) -> list[tuple[Path, str, str, str]]:
    """Every generated section: (file, start marker, end marker, content)."""
    from workshop.contract import outputs_table

    return [
        (root / "README.md", START, END, config_reference(root)),
        (root / "docs" / "outputs.md", OUTPUTS_START, OUTPUTS_END, outputs_table()),
        (root / "README.md", VERSIONS_START, VERSIONS_END, versions_table()),
    ]


def main() -> int:
    for path, start, end, content in generated_sections():
        text = path.read_text()
        if start not in text or end not in text:
            print(f"{path} lacks the markers {start} ... {end}", file=sys.stderr)
            return 1
        path.write_text(render_section(text, content, start, end))
    # The policy pack runs standalone under the Pulumi CLI: it gets its own copy of the catalogue.
    versions.POLICY_PACK_COPY.write_bytes(versions.CATALOGUE_FILE.read_bytes())
    SCHEMA_FILE.write_text(json.dumps(stack_config_schema(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
