"""Offline plan: what `pulumi preview --policy-pack` would show, with no credentials and no CLI.

    python -m offline.plan [--stack dev ...] [--against build/plan-dev.json | --against-ref main]

Runs the real program under the shared mock engine for each stack, prints the resource tree by
component, counts by type and the stack outputs (secrets masked), asks the real policy pack for its
verdict over gRPC with the stack's `policies/config/<stack>.json`, and writes `build/plan-<stack>.json`.
With `--against`, it also prints what changed since another plan, warning where a change replaces a
stateful resource.

Exit codes: 0 clean or advisory only; 1 a mandatory violation; 2 a config or program error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from offline.estimate import estimate, estimate_delta, estimate_time, render_estimate
from offline.mocks import UNKNOWN_WIRE
from offline.ordering import unordered_references
from offline.replacement import replacement
from offline.resource_types import TYPES
from offline.runner import ROOT, ProgramRun, StackFileError, is_secret, run_stack
from workshop.project import stacks as project_stacks
from workshop.versions import AS_OF_ENV, plan_date

VERSION_POLICIES = ("eks-supported-version", "eks-version-support-window")
SECRET = "[secret]"
UNKNOWN = "[unknown]"
SCHEMA_VERSION = 2
# The few inputs a reviewer looks at first, and the types whose replacement or deletion loses data or
# endpoints (a WARNING in every diff): columns of the resource-type table.
HEADLINE = {t: list(row.headline) for t, row in TYPES.items() if row.headline}
STATEFUL = tuple(t for t, row in TYPES.items() if row.stateful)


class PlanError(Exception):
    """A config or program error, reported as one message (exit 2)."""


# ---------------------------------------------------------------------------- building a plan


def mask(value: Any) -> Any:
    """The wire value with every secret replaced by "[secret]" and every unknown by "[unknown]"."""
    if is_secret(value):
        return SECRET
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def build_plan(run: ProgramRun, violations: Iterable[Any] = ()) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [{
            "urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
            "dependencies": r.dependencies, "propertyDependencies": r.property_dependencies,
            "protect": r.protect, "id": r.id, "aliases": r.aliases,
            "replaceOnChanges": r.replace_on_changes, "deleteBeforeReplace": r.delete_before_replace,
            "inputs": mask(r.inputs), "outputs": mask(r.outputs),
        } for r in sorted(run.resources, key=lambda r: r.urn)],
        "outputs": mask(run.outputs),
        "violations": [asdict(v) for v in violations],
    }


def stack_summaries(run: ProgramRun, as_of: dt.date) -> dict[str, Any]:
    """The plan's `kubernetes`, `warnings` and `capacity` sections, from the run's config parsed once."""
    from workshop.config import config_warnings, parse

    cfg = parse(run.config, as_of)
    return {"kubernetes": kubernetes_summary(cfg, as_of), "warnings": config_warnings(cfg, as_of),
            "capacity": capacity_summary(cfg)}


def kubernetes_summary(cfg: Any, as_of: dt.date) -> dict[str, Any]:
    """The stack's versions and their EKS support window on the plan date, from the catalogue."""
    from workshop.config import version_warnings
    from workshop.versions import catalogue

    entry = catalogue().get(cfg.cluster.version)
    standard_left, extended_left = entry.days_left(as_of)
    return {
        "version": cfg.cluster.version, "asOf": as_of.isoformat(), "support": entry.support(as_of),
        "upgradeSupportType": cfg.cluster.upgrade_support_type,
        "standardSupportEnds": entry.standard_support_ends.isoformat(), "standardDaysLeft": standard_left,
        "extendedSupportEnds": entry.extended_support_ends.isoformat(), "extendedDaysLeft": extended_left,
        "rollbackFrom": cfg.cluster.rollback.from_version or None,
        "nodeGroups": {name: {"version": g.version, "amiType": g.ami_type, "releaseVersion": g.release_version}
                       for name, g in cfg.node_groups.items()},
        "addons": {"vpc-cni": cfg.vpc_cni.version, **cfg.addons},
        "warnings": version_warnings(cfg, as_of),
    }


def render_kubernetes(k: dict[str, Any] | None) -> list[str]:
    if k is None:
        return []
    lines = ["", f"Kubernetes {k['version']} ({k['support']} support on {k['asOf']}, upgradeSupportType "
                 f"{k['upgradeSupportType']}): standard support until {k['standardSupportEnds']} "
                 f"({k['standardDaysLeft']} days), extended until {k['extendedSupportEnds']} "
                 f"({k['extendedDaysLeft']} days)"]
    lines += [f"  node group {name}: {g['version']}, {g['amiType']} release {g['releaseVersion']}"
              for name, g in k["nodeGroups"].items()]
    lines.append("  add-ons: " + ", ".join(f"{n} {v}" for n, v in sorted(k["addons"].items())))
    return lines


def capacity_summary(cfg: Any) -> dict[str, Any] | None:
    """Pods per node and at max nodes, and what the busiest private subnet has left (workshop.subnets)."""
    from workshop.config import stack_capacity

    c = stack_capacity(cfg)
    if c is None:
        return None
    return {"podsPerNode": c.pods_per_node, "podsAtMaxNodes": c.pods_at_max, "subnetPrefixLength": c.prefix_length,
            "nodesPerZoneAtMax": c.nodes, "prefixBlocksFree": c.blocks_free, "prefixBlocksNeeded": c.blocks_needed,
            "addressesFree": c.addresses_free, "addressesNeeded": c.addresses_needed}


def run_program_for(stack: str, root: Path, preview: bool = False, judge: bool = True) -> ProgramRun:
    """Run the program, turning config and program errors, and resources that would race what they
    name (offline/ordering.py), into one PlanError message. `judge=False` plans a base to diff
    against: what it is, races included."""
    run = _run_program(stack, root, preview)
    # In preview computed values are unknown: identities can only be compared once they are known.
    races = [] if preview or not judge else unordered_references(run)
    if races:
        raise PlanError(f"{stack}: resources would be created before what they name:\n  " + "\n  ".join(races))
    return run


def _run_program(stack: str, root: Path, preview: bool) -> ProgramRun:
    from workshop.config import ConfigError

    try:
        return run_stack(stack, root=root, preview=preview)
    except ConfigError as e:
        raise PlanError(f"{stack}: {e}") from None
    except FileNotFoundError as e:
        raise PlanError(f"{stack}: {e.strerror}: {e.filename}") from None
    except StackFileError as e:
        raise PlanError(f"{stack}: {e}") from None
    except Exception as e:  # noqa: BLE001 - any program failure becomes one readable line
        frame = traceback.extract_tb(e.__traceback__)[-1]
        raise PlanError(f"{stack}: the program failed: {type(e).__name__}: {e} "
                        f"({Path(frame.filename).name}:{frame.lineno})") from None


# ---------------------------------------------------------------------------- rendering


def _get(props: dict[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        value = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in value.items()}
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 70 else text[:67] + "..."


def render_tree(plan: dict[str, Any]) -> list[str]:
    children: dict[str, list[dict]] = {}
    for r in sorted(plan["resources"], key=lambda r: (r["type"], r["name"])):
        children.setdefault(r["parent"], []).append(r)
    roots = [r for r in plan["resources"] if r["parent"] not in {x["urn"] for x in plan["resources"]}]
    lines = [f"    {plan['project']}-{plan['stack']} (pulumi:pulumi:Stack)"]

    def walk(resource: dict, prefix: str, last: bool) -> None:
        branch = "└─ " if last else "├─ "
        details = [f"{p}={_short(v)}" for p in HEADLINE.get(resource["type"], [])
                   if (v := _get(resource["inputs"], p)) is not None]
        if resource["protect"]:
            details.append("[protected]")
        lines.append(f"  + {prefix}{branch}{resource['type']}  {resource['name']}"
                     + (f"  {' '.join(details)}" if details else ""))
        kids = children.get(resource["urn"], [])
        for i, kid in enumerate(kids):
            walk(kid, prefix + ("   " if last else "│  "), i == len(kids) - 1)

    for i, r in enumerate(roots):
        walk(r, "", i == len(roots) - 1)
    return lines


def render_summary(plan: dict[str, Any], config_file: str | None) -> list[str]:
    """What a reviewer needs in ten seconds, before the details."""
    lines = [f"== {plan['project']}/{plan['stack']}"]
    diff = plan.get("diff")
    custom = sum(1 for r in plan["resources"] if r["custom"])
    if diff:
        actions = [c["action"] for c in diff["changed"]]
        lines.append(f"  changes:     {len(diff['added'])} to create, {actions.count('update')} to update, "
                     f"{actions.count('replace')} to replace, {len(diff['removed'])} to delete")
    else:
        lines.append(f"  changes:     {custom} to create (a new stack)")
    if config_file is not None:
        levels = [v["enforcement"] for v in plan["violations"]]
        lines.append(f"  policy:      {levels.count('mandatory')} mandatory, {levels.count('advisory')} advisory "
                     f"({config_file})")
    cost, time = plan["estimate"]["cost"], plan["estimate"]["time"]
    if "monthlyAtDesired" in cost:
        lines.append(f"  cost:        {cost['monthlyAtDesired']:.2f} USD/month at desired nodes, "
                     f"{cost['monthlyAtMax']:.2f} at max")
    lines.append(f"  create time: {time['criticalPathSeconds'] // 60} min {time['criticalPathSeconds'] % 60:02d} s "
                 "on the critical path")
    k = plan.get("kubernetes")
    if k:
        lines.append(f"  kubernetes:  {k['version']}, {k['standardDaysLeft']} days of standard support left "
                     f"({k['standardSupportEnds']})")
    cap = plan.get("capacity")
    if cap:
        per_node = ", ".join(f"{n} {p}" for n, p in cap["podsPerNode"].items())
        left = (f"{cap['prefixBlocksFree'] - cap['prefixBlocksNeeded']} /28 blocks" if cap["prefixBlocksNeeded"]
                else f"{cap['addressesFree'] - cap['addressesNeeded']} addresses")
        lines.append(f"  pods:        {per_node} per node, {cap['podsAtMaxNodes']} at max nodes; each private "
                     f"/{cap['subnetPrefixLength']} has {left} left at max nodes")
    if plan.get("warnings"):
        lines.append(f"  warnings:    {len(plan['warnings'])} (below)")
    return lines + [""]


def render(plan: dict[str, Any], config_file: str | None) -> list[str]:
    lines = [f"Plan for {plan['project']}/{plan['stack']} (offline: mock engine, no cloud calls)", ""]
    lines += render_tree(plan)
    counts: dict[str, int] = {}
    for r in plan["resources"]:
        if r["custom"]:
            counts[r["type"]] = counts.get(r["type"], 0) + 1
    lines += ["", f"Resources: {sum(counts.values())} to create "
                  f"({len(plan['resources']) - sum(counts.values())} components)"]
    lines += [f"  {n:>3}  {t}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "Outputs:"]
    lines += [f"  {k}: {_short(v)}" for k, v in sorted(plan["outputs"].items())]
    if config_file is not None:
        lines += ["", f"Policy verdict ({config_file}):"]
        for level in ("mandatory", "advisory"):
            found = [v for v in plan["violations"] if v["enforcement"] == level]
            lines.append(f"  {level}: {len(found) or 'none'}")
            for v in found:
                where = v["urn"].rsplit("::", 1)[-1] if v["urn"] else "(stack)"
                message = v["message"].splitlines()[-1]
                lines.append(f"    {v['policy']}  {where}: {message}")
    return lines


# ---------------------------------------------------------------------------- diff


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else k))
        return out
    return {prefix: value}


def _version(v: Any) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(v).split("."))
    except ValueError:
        return ()


def _addon_version(v: Any) -> tuple[int, ...]:
    """`v1.20.4-eksbuild.2` as (1, 20, 4, 2); () where it isn't one."""
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)", str(v))
    return tuple(int(g) for g in match.groups()) if match else ()


# Versions that should only move forward: (input, how to compare it, why a step back deserves a WARNING).
GOING_BACK = {
    "aws:eks/cluster:Cluster": ("version", _version,
                                "EKS rolls back only one minor within 7 days of an upgrade (cluster.rollback)"),
    "aws:eks/addon:Addon": ("addonVersion", _addon_version, "EKS add-on updates move forward: check it"),
}


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Added, removed and changed resources (by URN), the changed inputs, and replacement warnings.

    A resource that names an old URN among its aliases was moved, not replaced: it is compared with
    what stood at that URN (and listed under `moved`).
    """
    after = {r["urn"]: r for r in new["resources"]}
    moved = {alias: r["urn"] for r in new["resources"] for alias in r.get("aliases", [])
             if alias not in after}
    before = {moved.get(r["urn"], r["urn"]): r for r in old["resources"]}
    changed, warnings = [], []
    for urn in sorted(before.keys() & after.keys()):
        a, b = _flatten(before[urn]["inputs"]), _flatten(after[urn]["inputs"])
        props = {k: {"old": a.get(k), "new": b.get(k)} for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
        if before[urn]["protect"] != after[urn]["protect"]:
            props["(protect)"] = {"old": before[urn]["protect"], "new": after[urn]["protect"]}
        if not props:
            continue
        rtype = after[urn]["type"]
        # Generated from the providers' schemas (offline/replacement.py), not listed by hand.
        forced, maybe = replacement(rtype, before[urn]["inputs"], after[urn]["inputs"],
                                    after[urn].get("replaceOnChanges", []))
        change = {"urn": urn, "type": rtype, "properties": props, "action": "replace" if forced else "update",
                  "replacedBy": forced}
        if forced and after[urn].get("deleteBeforeReplace"):
            change["deleteBeforeReplace"] = True  # the old one goes first: a gap, not an overlap
        if maybe:
            change["mayReplace"] = maybe
        changed.append(change)
        if forced and rtype in STATEFUL:
            warnings.append(f"{rtype} {after[urn]['name']}: changing {', '.join(forced)} replaces it "
                            "(delete and re-create, data and endpoints lost)")
        going_back = GOING_BACK.get(rtype)
        if going_back and going_back[0] in props:
            key, parse_version, why = going_back
            old_v, new_v = parse_version(props[key]["old"]), parse_version(props[key]["new"])
            if old_v and new_v and new_v < old_v:
                warnings.append(f"{rtype} {after[urn]['name']}: {key} goes back {props[key]['old']} -> "
                                f"{props[key]['new']}: {why}")
    removed = sorted(before.keys() - after.keys())
    for urn in removed:
        if before[urn]["type"] in STATEFUL:
            warnings.append(f"{before[urn]['type']} {before[urn]['name']}: removed, it will be deleted")
    old_urns = {r["urn"] for r in old["resources"]}
    diff = {"added": sorted(after.keys() - before.keys()), "removed": removed, "changed": changed,
            "moved": {old_urn: urn for old_urn, urn in sorted(moved.items()) if old_urn in old_urns},
            "warnings": warnings}
    upgrade = upgrade_of(old, new, diff)
    if upgrade:
        diff["upgrade"] = upgrade
    return diff


def _cluster_version(plan: dict[str, Any]) -> str | None:
    clusters = [r for r in plan["resources"] if r["type"] == "aws:eks/cluster:Cluster"]
    return clusters[0]["inputs"].get("version") if len(clusters) == 1 else None


def update_waves(plan: dict[str, Any], changed: set[str]) -> list[list[str]]:
    """The changed resources in the order one `pulumi up` applies them: wave n waits for a changed
    resource of wave n-1 (directly or through unchanged ones), resources of one wave run in parallel."""
    deps = {r["urn"]: r["dependencies"] for r in plan["resources"]}
    level: dict[str, int] = {}

    def wave(urn: str) -> int:
        if urn not in level:
            level[urn] = 0  # the graph is acyclic; this only guards against a malformed plan
            level[urn] = max((wave(d) + (d in changed) for d in deps.get(urn, []) if d in deps), default=0)
        return level[urn]

    waves: dict[int, list[str]] = {}
    for urn in sorted(changed):
        waves.setdefault(wave(urn), []).append(urn)
    return [waves[k] for k in sorted(waves)]


def upgrade_of(old: dict[str, Any], new: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any] | None:
    """A change of the cluster's Kubernetes version read as an upgrade: what EKS would make of it,
    and which resources move in which order."""
    before, after = _cluster_version(old), _cluster_version(new)
    if not before or not after or before == after or UNKNOWN_WIRE in (before, after):
        return None
    step = _version(after)[1] - _version(before)[1]
    if step == 1:
        verdict = "upgrade: one minor, as EKS allows"
    elif step > 1:
        verdict = f"refused: {step} minors at once; EKS upgrades one minor at a time"
    else:
        rollback = (new.get("kubernetes") or {}).get("rollbackFrom")
        verdict = ("rollback: one minor, within EKS's rollback window (cluster.rollback)" if step == -1 and rollback
                   else "refused: a downgrade without cluster.rollback")
    actions = {c["urn"]: c["action"] for c in diff["changed"]}
    by_urn = {r["urn"]: r for r in new["resources"]}
    return {"from": before, "to": after, "verdict": verdict,
            "waves": [[{"urn": u, "type": by_urn[u]["type"], "name": by_urn[u]["name"], "action": actions[u]}
                       for u in wave] for wave in update_waves(new, set(actions))]}


def _estimate(plan: dict[str, Any], region: str, as_of: dt.date) -> dict[str, Any]:
    try:
        return estimate(plan, region, as_of)
    except KeyError as e:  # a region without a price table still gets its time estimate
        return {"cost": {"unavailable": str(e.args[0])}, "time": estimate_time(plan)}


def render_diff(diff: dict[str, Any], against: str) -> list[str]:
    lines = ["", f"Changes against {against}: {len(diff['added'])} to add, {len(diff['changed'])} to change, "
                 f"{len(diff['removed'])} to delete"]
    lines += [f"  + {urn.rsplit('::', 2)[-2]}  {urn.rsplit('::', 1)[-1]}" for urn in diff["added"]]
    lines += [f"  - {urn.rsplit('::', 2)[-2]}  {urn.rsplit('::', 1)[-1]}" for urn in diff["removed"]]
    for c in diff["changed"]:
        mark = "+-" if c["action"] == "replace" else "~ "
        forced = f"  (replaced: {', '.join(c['replacedBy'])} forces it)" if c.get("replacedBy") else ""
        lines.append(f"  {mark}{c['type']}  {c['urn'].rsplit('::', 1)[-1]}{forced}")
        for k, v in c["properties"].items():
            if isinstance(v["old"], str) and isinstance(v["new"], str) and "\n" in v["old"] + v["new"]:
                lines.append(f"      {k}:")
                lines += [f"        {line}" for line in difflib.unified_diff(
                    v["old"].splitlines(), v["new"].splitlines(), "old", "new", lineterm="", n=1)]
            else:
                lines.append(f"      {k}: {_short(v['old'])} => {_short(v['new'])}")
    for old_urn, urn in diff.get("moved", {}).items():
        lines.append(f"  > {urn.rsplit('::', 1)[-1]}  moved from {old_urn.rsplit('::', 1)[-1]} "
                     "(alias: same resource, not re-created)")
    upgrade = diff.get("upgrade")
    if upgrade:
        lines += ["", f"Kubernetes {upgrade['from']} -> {upgrade['to']}: {upgrade['verdict']}"]
        for i, wave in enumerate(upgrade["waves"], 1):
            lines.append(f"  {i}. " + ", ".join(f"{w['name']} ({w['action']})" for w in wave))
    delta = diff.get("estimate")
    if delta:
        lines += ["", f"Estimate change: {delta['monthlyAtDesired']:+.2f} USD/month at desired "
                      f"({delta['monthlyAtMax']:+.2f} at max), {delta['criticalPathSeconds']:+d} s create time"]
    if diff["warnings"]:
        lines += ["", "WARNING: stateful resources would be replaced or deleted:"]
        lines += [f"  ! {w}" for w in diff["warnings"]]
    return lines


def plan_ref(ref: str, stack: str, out: Path, as_of: dt.date) -> Path:
    """Plan `stack` as it is at the merge base of HEAD and `ref`, in a temporary git worktree."""
    base = subprocess.run(["git", "merge-base", "HEAD", ref], cwd=ROOT, capture_output=True, text=True)
    if base.returncode != 0:
        raise PlanError(f"--against-ref {ref}: no merge base with HEAD ({base.stderr.strip()})")
    with tempfile.TemporaryDirectory(prefix="plan-base-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), base.stdout.strip()],
                       cwd=ROOT, check=True)
        try:
            # A fresh interpreter, so the base's components aren't shadowed by the ones already imported.
            result = subprocess.run(
                [sys.executable, "-m", "offline.plan", "--root", str(tree), "--stack", stack, "--no-policy",
                 "--quiet", "--diff-base", "--out-dir", str(out), "--as-of", as_of.isoformat()],
                cwd=ROOT, capture_output=True, text=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    if result.returncode == 2:
        raise PlanError(f"planning {ref} failed: {result.stderr.strip()}")
    return out / f"plan-{stack}.json"


# ---------------------------------------------------------------------------- command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append",
                        help="stack to plan (default: every Pulumi.<stack>.yaml)")
    parser.add_argument("--against", type=Path, help="a plan JSON to diff against (one stack)")
    parser.add_argument("--against-ref", help="diff against the plan of the merge base with this git ref")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "build", help="where plan-<stack>.json goes")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy verdict")
    parser.add_argument("--preview", action="store_true",
                        help="as `pulumi preview` of a new stack sees it: computed values unknown")
    parser.add_argument("--quiet", action="store_true",
                        help="write the JSON; print only errors and mandatory violations")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=plan_date(),
                        help=f"date EKS support is judged and priced on, YYYY-MM-DD (default: ${AS_OF_ENV} "
                             "or today)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    # A base planned for --against-ref: recorded as it is, not judged.
    parser.add_argument("--diff-base", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    known = project_stacks(root)
    stacks = args.stack or known
    unknown = [s for s in stacks if s not in known]
    if unknown:
        parser.error(f"no Pulumi.{unknown[0]}.yaml (stacks here: {', '.join(known)}); create it, e.g. "
                     f"cp Pulumi.dev.yaml Pulumi.{unknown[0]}.yaml")
    if args.against and len(stacks) != 1:
        parser.error("--against compares one stack: add --stack")
    # The program judges support windows on this date too (workshop.versions.plan_date).
    os.environ[AS_OF_ENV] = args.as_of.isoformat()
    if root != ROOT:
        sys.path.insert(0, str(root))  # the program's own modules come from that tree
        # ... including the config model: the tools imported this tree's version catalogue already.
        for name in [m for m in sys.modules if m == "workshop" or m.startswith("workshop.")]:
            del sys.modules[name]
    # Every stack is planned; each failure is reported; the exit code is the worst.
    return max(_plan_stack(stack, root, args) for stack in stacks)


def _plan_stack(stack: str, root: Path, args: argparse.Namespace) -> int:
    try:
        return _plan(stack, root, args)
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 2


def with_as_of(policy_config: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The stack's policy config with the plan date for the policies that judge EKS support (a date the
    config names itself wins)."""
    out = dict(policy_config)
    for policy in VERSION_POLICIES:
        entry = out.get(policy, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        out[policy] = {"asOf": as_of.isoformat(), **entry}
    return out


def policy_verdict(run: ProgramRun, as_of: dt.date, preview: bool) -> list[Any]:
    """The pack's verdict on a run, the pack started for that stack as the CLI starts it."""
    from offline.analyzer import PolicyConfigError, PolicyPackProcess, load_policy_config

    try:
        with PolicyPackProcess(stack=run.stack, dry_run=preview, stack_config=run.config) as pack:
            pack.configure(with_as_of(load_policy_config(run.stack), as_of))
            return pack.analyze_run(run)
    except (PolicyConfigError, RuntimeError) as e:
        raise PlanError(f"{run.stack}: {policy_config_file(run.stack)}: {e}") from None


def policy_config_file(stack: str) -> str:
    from offline.analyzer import policy_config_path

    return os.path.relpath(policy_config_path(stack), ROOT)


def _plan(stack: str, root: Path, args: argparse.Namespace) -> int:
    run = run_program_for(stack, root, args.preview, judge=not args.diff_base)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    violations, config_file = [], None
    if not args.no_policy:
        config_file = policy_config_file(stack)
        violations = policy_verdict(run, args.as_of, args.preview)
    plan = build_plan(run, violations)
    if root == ROOT:  # a base tree planned for a diff may predate the catalogue
        plan.update(stack_summaries(run, args.as_of))
    region = str(run.config.get("aws:region", ""))
    plan["estimate"] = _estimate(plan, region, args.as_of)
    against = args.against
    if args.against_ref:
        against = plan_ref(args.against_ref, stack, args.out_dir / "base", args.as_of)
    if against is not None:
        if not against.exists():
            raise PlanError(f"--against {against}: no such plan file")
        old_plan = json.loads(against.read_text())
        if old_plan.get("schemaVersion") != SCHEMA_VERSION:
            raise PlanError(f"--against {against}: plan schemaVersion {old_plan.get('schemaVersion')}, this "
                            f"tool writes {SCHEMA_VERSION}: plan it again with this version")
        if (old_plan.get("project"), old_plan.get("stack")) != (plan["project"], plan["stack"]):
            raise PlanError(f"--against {against}: a plan of {old_plan.get('project')}/{old_plan.get('stack')}, "
                            f"not {plan['project']}/{plan['stack']}")
        plan["diff"] = diff_plans(old_plan, plan)
        plan["diff"]["estimate"] = estimate_delta(old_plan.get("estimate"), plan["estimate"])
    path = args.out_dir / f"plan-{stack}.json"
    path.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
    mandatory = [v for v in plan["violations"] if v["enforcement"] == "mandatory"]
    if args.quiet:
        for v in mandatory:
            where = v["urn"].rsplit("::", 1)[-1] if v["urn"] else "(stack)"
            print(f"{stack}: mandatory {v['policy']}  {where}: {v['message'].splitlines()[-1]}", file=sys.stderr)
    else:
        lines = render_summary(plan, config_file) + render(plan, config_file)
        lines += render_kubernetes(plan.get("kubernetes"))
        lines += [""] * bool(plan.get("warnings")) + [f"WARNING: {w}" for w in plan.get("warnings", [])]
        lines += render_estimate(plan["estimate"])
        if "diff" in plan:
            lines += render_diff(plan["diff"], str(against))
        print("\n".join(lines + ["", f"Plan written to {os.path.relpath(path)}", ""]), flush=True)
    return 1 if mandatory else 0


if __name__ == "__main__":
    raise SystemExit(main())
