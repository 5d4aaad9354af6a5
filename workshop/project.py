"""The project's name and its stacks: one home for both.

A stack is whatever `Pulumi.<stack>.yaml` exists next to `Pulumi.yaml` (dev, staging, prod, and any
personal or per-region stack someone adds); nothing lists them by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
# The promotion order of the stacks this repository ships; other stacks follow, sorted.
PROMOTION_ORDER = ("dev", "staging", "prod")


def stacks(root: Path = ROOT) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` under `root`: dev, staging, prod first, then the rest."""
    found = {p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml")}
    return [s for s in PROMOTION_ORDER if s in found] + sorted(found - set(PROMOTION_ORDER))


class StackFileError(ValueError):
    """A stack file that isn't YAML: the message names the file, the line and the column."""


def load_stack_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """`Pulumi.<stack>.yaml`'s config block, decoded (objects stay objects)."""
    path = root / f"Pulumi.{stack}.yaml"
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise StackFileError(f"{where}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path.name}: the file is a YAML {_kind(data)}, not a mapping with a 'config' key")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: 'config' is a YAML {_kind(config)}, not a mapping of keys to values")
    return dict(config)


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "value")
