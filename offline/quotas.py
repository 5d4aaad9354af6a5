"""Quotas across stacks: what every stack file in one account and region creates, summed against the
account's quotas (offline/quotas.json, the defaults; quotas/<account>.json, what a team has raised).

A set of stacks that can't all exist is refused before anything is created, with the numbers, the quota
code and the command that raises it. A stack that doesn't pin its account (`aws:allowedAccountIds`) is
counted with the other unpinned stacks of its region, and warned that the check is then partial.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

QUOTAS_FILE = Path(__file__).resolve().parent / "quotas.json"
RAISED_DIR = "quotas"  # quotas/<account>.json beside the stack files


@cache
def defaults() -> dict[str, dict[str, Any]]:
    return json.loads(QUOTAS_FILE.read_text())["quotas"]


@dataclass(frozen=True)
class Usage:
    """What one stack creates that a quota counts: per quota code, per region or per zone."""

    stack: str
    region: str
    accounts: frozenset[str] | None
    counts: dict[str, dict[str, int]]  # quota code -> scope key (region, or zone name) -> count


def usage(stack: str, config: dict[str, Any]) -> Usage | None:
    """What `stack` creates, from its validated config; None where its config is invalid (its own plan
    reports that)."""
    from workshop.config import ConfigError, parse

    try:
        cfg = parse(config)
    except ConfigError:
        return None
    vpcs = 1 + int(cfg.ide.enabled)  # the cluster's VPC, and the IDE's own
    zones = list(cfg.availability_zones)
    nat_zones = zones[:1] if cfg.network.nat_gateways == "single" else zones
    region = cfg.region
    counts = {
        "L-F678F1CE": {region: vpcs},
        "L-A4707A72": {region: vpcs},
        "L-0263D0A3": {region: len(nat_zones)},  # one Elastic IP per NAT gateway
        "L-FE5A380F": {zone: 1 for zone in nat_zones},
        "L-1194D53C": {region: 1},
    }
    accounts = config.get("aws:allowedAccountIds")
    return Usage(stack, region, frozenset(map(str, accounts)) if isinstance(accounts, list) else None, counts)


def usages(root: Path) -> list[Usage]:
    """What every valid stack file under `root` creates (a file that doesn't read is its own plan's error)."""
    from workshop.project import StackFileError, load_stack_file, stacks

    found = []
    for stack in stacks(root):
        try:
            u = usage(stack, load_stack_file(stack, root).config)
        except StackFileError:
            continue
        if u is not None:
            found.append(u)
    return found


def raised(root: Path, account: str) -> dict[str, dict[str, int]]:
    """quotas/<account>.json's `raised`: region -> quota code -> the value the account has now."""
    path = root / RAISED_DIR / f"{account}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("raised", {})


def check(root: Path, usages: list[Usage]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per stack: errors for each quota the stacks of its account and region would exceed together, and a
    warning where its account is not pinned (the count is then of the region's unpinned stacks)."""
    errors: dict[str, list[str]] = defaultdict(list)
    warnings: dict[str, list[str]] = defaultdict(list)
    groups: dict[tuple[str, str], list[Usage]] = defaultdict(list)
    for u in usages:
        if u.accounts is None:
            groups[("", u.region)].append(u)
            warnings[u.stack].append(
                f"quotas: aws:allowedAccountIds is not set, so this stack's VPCs, Elastic IPs and NAT gateways are "
                f"counted only with the other unpinned stacks of {u.region}: the check is partial; pin the account")
        for account in sorted(u.accounts or ()):
            groups[(account, u.region)].append(u)
    for (account, region), members in sorted(groups.items()):
        limits = raised(root, account) if account else {}
        for code, quota in defaults().items():
            totals: dict[str, int] = defaultdict(int)
            by_stack: dict[str, dict[str, int]] = defaultdict(dict)
            for u in members:
                for key, n in u.counts.get(code, {}).items():
                    totals[key] += n
                    by_stack[key][u.stack] = n
            limit = int(limits.get(region, {}).get(code, quota["default"]))
            declared = "declared in quotas/" + f"{account}.json" if code in limits.get(region, {}) else "the default"
            for key, total in sorted(totals.items()):
                if total <= limit:
                    continue
                where = f"account {account}, {region}" if account else f"{region} (accounts not pinned)"
                scope = f" in {key}" if quota["scope"] == "zone" else ""
                parts = ", ".join(f"{s} {n}" for s, n in by_stack[key].items())
                message = (f"quotas: {where}: the stacks would create {total} {quota['what']}{scope} ({parts}), but "
                           f"the quota is {limit} ({code}, {declared}): raise it with `aws service-quotas "
                           f"request-service-quota-increase --service-code {quota['service']} --quota-code {code} "
                           f"--desired-value {total} --region {region}`"
                           + (f" and declare it in {RAISED_DIR}/{account}.json" if account else "")
                           + ", or move stacks to another account")
                for stack in by_stack[key]:
                    (errors if account else warnings)[stack].append(message)
    return dict(errors), dict(warnings)
