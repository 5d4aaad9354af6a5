"""The project's name and its stacks: one home for both.

A stack is whatever `Pulumi.<stack>.yaml` exists next to `Pulumi.yaml` (dev, staging, prod, and any
personal or per-region stack someone adds); nothing lists them by hand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

ROOT = Path(__file__).resolve().parent.parent
# The promotion order of the stacks this repository ships; other stacks follow, sorted.
PROMOTION_ORDER = ("dev", "staging", "prod")
# The program's own code, what `pulumi up` runs: the offline tools import it from another tree (a
# changed copy, a worktree of another ref), and the tests copy and fingerprint it.
PROGRAM_SOURCES = ("__main__.py", "wiring.py", "components", "workshop")
PROGRAM_PACKAGES = tuple(Path(source).stem for source in PROGRAM_SOURCES if source != "__main__.py")


def module_name(path: Path, root: Path = ROOT) -> str:
    """The dotted name a source file under `root` imports as (`components/ide/__init__.py`: components.ide)."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stacks(root: Path = ROOT) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` under `root`: dev, staging, prod first, then the rest."""
    found = {p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml")}
    return [s for s in PROMOTION_ORDER if s in found] + sorted(found - set(PROMOTION_ORDER))


class StackFileError(ValueError):
    """A stack file that isn't YAML: the message names the file, the line and the column."""


def _cli_yaml() -> YAML:
    """YAML as the Pulumi CLI reads stack files (Go yaml.v3): YAML 1.2, so yes/no/on/off are strings; a
    duplicated key is an error; a date stays the string it is written as."""
    yaml12 = YAML(typ="rt")
    yaml12.version = (1, 2)
    yaml12.Constructor = _DatesAsText
    return yaml12


class _DatesAsText(RoundTripConstructor):
    pass


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _plain(node: Any, path: tuple, positions: dict[tuple, tuple[int, int]]) -> Any:
    """ruamel's nodes as plain dicts, lists and scalars; the 1-based line and column of each key by path."""
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            line, col = node.lc.key(key)
            positions[(*path, str(key))] = (line + 1, col + 1)
            out[str(key)] = _plain(value, (*path, str(key)), positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            positions[(*path, i)] = (line + 1, col + 1)
            items.append(_plain(value, (*path, i), positions))
        return items
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


@dataclass(frozen=True)
class StackFile:
    """A stack file's config block, decoded (objects stay objects), and where each key is written."""

    path: Path
    config: dict[str, Any]
    positions: dict[tuple, tuple[int, int]]  # ("eks-workshop:nodeGroups", "default", "minSize") -> (line, col)

    def where(self, path: tuple) -> str:
        """`Pulumi.dev.yaml:40:7` for the deepest written key along `path` (the file alone if none is)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                line, col = self.positions[path[:end]]
                return f"{self.path.name}:{line}:{col}"
        return self.path.name


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    """The YAML of one file's text. A plan reads every stack file (the across-stack checks) and the tests plan
    often: the same text is parsed once. Callers read the result and never change it (`_plain` copies)."""
    return _cli_yaml().load(text)


def _load(path: Path) -> Any:
    """A Pulumi YAML file read as the CLI reads it; a syntax error names the file, the line and the column."""
    try:
        return _parsed(path.read_text())
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        problem = " ".join(str(e.problem or e).split())
        raise StackFileError(f"{where}: {problem}") from None


def load_project_file(path: Path) -> dict[str, Any]:
    """`Pulumi.yaml` or `PulumiPolicy.yaml`, decoded as the CLI decodes it."""
    data = _load(path)
    if not isinstance(data, CommentedMap):
        raise StackFileError(f"{path.name}: the file is a YAML {_kind(data)}, not a mapping")
    return _plain(data, (), {})


def load_stack_file(stack: str, root: Path = ROOT) -> StackFile:
    path = root / f"Pulumi.{stack}.yaml"
    data = _load(path)
    if data is None:
        data = {}
    if not isinstance(data, CommentedMap):
        raise StackFileError(f"{path.name}: the file is a YAML {_kind(data)}, not a mapping with a 'config' key")
    config = data.get("config") or {}
    if not isinstance(config, CommentedMap):
        raise StackFileError(f"{path.name}: 'config' is a YAML {_kind(config)}, not a mapping of keys to values")
    positions: dict[tuple, tuple[int, int]] = {}
    return StackFile(path, _plain(config, (), positions), positions)


def load_stack_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """`Pulumi.<stack>.yaml`'s config block, decoded (objects stay objects), read as the CLI reads it."""
    return load_stack_file(stack, root).config


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    kinds = ((list, "list"), (str, "string"), (int, "number"), (float, "number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "value")


# The project's name, as Pulumi.yaml gives it.
PROJECT = load_project_file(ROOT / "Pulumi.yaml")["name"]
