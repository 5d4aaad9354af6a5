"""The project's name and its stacks: one home for both.

A stack is whatever `Pulumi.<stack>.yaml` exists next to `Pulumi.yaml` (dev, staging, prod, and any
personal or per-region stack someone adds); nothing lists them by hand.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
# The promotion order of the stacks this repository ships; other stacks follow, sorted.
PROMOTION_ORDER = ("dev", "staging", "prod")


def stacks(root: Path = ROOT) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` under `root`: dev, staging, prod first, then the rest."""
    found = {p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml")}
    return [s for s in PROMOTION_ORDER if s in found] + sorted(found - set(PROMOTION_ORDER))
