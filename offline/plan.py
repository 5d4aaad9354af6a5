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
import json
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from offline.estimate import estimate, estimate_delta, estimate_time, render_estimate
from offline.mocks import UNKNOWN_WIRE
from offline.runner import ROOT, STACKS, ProgramRun, is_secret, run_stack

SECRET = "[secret]"
UNKNOWN = "[unknown]"
SCHEMA_VERSION = 1
# The few inputs a reviewer looks at first, per type; everything is in the JSON plan.
HEADLINE = {
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone"],
    "aws:eks/cluster:Cluster": ["name", "version", "vpcConfig.publicAccessCidrs"],
    "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", "instanceTypes", "scalingConfig", "releaseVersion"],
    "aws:eks/addon:Addon": ["addonName", "addonVersion"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["metadataOptions.httpTokens"],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "retentionInDays"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["cidrIpv4", "fromPort"],
    "aws:eks/accessEntry:AccessEntry": ["principalArn"],
}
# Changes that make the provider replace a stateful resource: (type, input path).
REPLACING = {
    "aws:eks/cluster:Cluster": ("name", "kubernetesNetworkConfig.serviceIpv4Cidr", "encryptionConfig"),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "vpcId"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", "subnetIds", "instanceTypes", "amiType", "capacityType"),
}
STATEFUL = tuple(REPLACING)


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
            "protect": r.protect, "id": r.id,
            "inputs": mask(r.inputs), "outputs": mask(r.outputs),
        } for r in sorted(run.resources, key=lambda r: r.urn)],
        "outputs": mask(run.outputs),
        "violations": [asdict(v) for v in violations],
    }


def run_program_for(stack: str, root: Path, preview: bool = False) -> ProgramRun:
    """Run the program, turning config and program errors into one PlanError message."""
    from workshop.config import ConfigError

    try:
        return run_stack(stack, root=root, preview=preview)
    except ConfigError as e:
        raise PlanError(f"{stack}: {e}") from None
    except FileNotFoundError as e:
        raise PlanError(f"{stack}: {e.strerror}: {e.filename}") from None
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


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Added, removed and changed resources (by URN), the changed inputs, and replacement warnings."""
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    changed, warnings = [], []
    for urn in sorted(before.keys() & after.keys()):
        a, b = _flatten(before[urn]["inputs"]), _flatten(after[urn]["inputs"])
        props = {k: {"old": a.get(k), "new": b.get(k)} for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
        if before[urn]["protect"] != after[urn]["protect"]:
            props["(protect)"] = {"old": before[urn]["protect"], "new": after[urn]["protect"]}
        if not props:
            continue
        changed.append({"urn": urn, "type": after[urn]["type"], "properties": props})
        rtype = after[urn]["type"]
        for path in REPLACING.get(rtype, ()):
            if any(k == path or k.startswith(path + ".") for k in props):
                warnings.append(f"{rtype} {after[urn]['name']}: changing {path} replaces it "
                                "(delete and re-create, data and endpoints lost)")
        if rtype == "aws:eks/cluster:Cluster" and "version" in props:
            old_v, new_v = _version(props["version"]["old"]), _version(props["version"]["new"])
            if old_v and new_v and new_v < old_v:
                warnings.append(f"{rtype} {after[urn]['name']}: version downgrade "
                                f"{props['version']['old']} -> {props['version']['new']} is impossible in place")
    removed = sorted(before.keys() - after.keys())
    for urn in removed:
        if before[urn]["type"] in STATEFUL:
            warnings.append(f"{before[urn]['type']} {before[urn]['name']}: removed, it will be deleted")
    return {"added": sorted(after.keys() - before.keys()), "removed": removed, "changed": changed,
            "warnings": warnings}


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
        lines.append(f"  ~ {c['type']}  {c['urn'].rsplit('::', 1)[-1]}")
        lines += [f"      {k}: {_short(v['old'])} => {_short(v['new'])}" for k, v in c["properties"].items()]
    delta = diff.get("estimate")
    if delta:
        lines += ["", f"Estimate change: {delta['monthlyAtDesired']:+.2f} USD/month at desired "
                      f"({delta['monthlyAtMax']:+.2f} at max), {delta['criticalPathSeconds']:+d} s create time"]
    if diff["warnings"]:
        lines += ["", "WARNING: stateful resources would be replaced or deleted:"]
        lines += [f"  ! {w}" for w in diff["warnings"]]
    return lines


def plan_ref(ref: str, stack: str, out: Path) -> Path:
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
                 "--quiet", "--out-dir", str(out)], cwd=ROOT, capture_output=True, text=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    if result.returncode == 2:
        raise PlanError(f"planning {ref} failed: {result.stderr.strip()}")
    return out / f"plan-{stack}.json"


# ---------------------------------------------------------------------------- command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", choices=STACKS, help="stack to plan (default: all)")
    parser.add_argument("--against", type=Path, help="a plan JSON to diff against (one stack)")
    parser.add_argument("--against-ref", help="diff against the plan of the merge base with this git ref")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "build", help="where plan-<stack>.json goes")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy verdict")
    parser.add_argument("--preview", action="store_true",
                        help="as `pulumi preview` of a new stack sees it: computed values unknown")
    parser.add_argument("--quiet", action="store_true", help="write the JSON only")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="date for EKS support pricing, YYYY-MM-DD (default: today)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stacks = args.stack or list(STACKS)
    if args.against and len(stacks) != 1:
        parser.error("--against compares one stack: add --stack")
    root = args.root.resolve()
    if root != ROOT:
        sys.path.insert(0, str(root))  # the program's own modules come from that tree
    try:
        return _plan(stacks, root, args)
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _plan(stacks: list[str], root: Path, args: argparse.Namespace) -> int:
    pack = None
    if not args.no_policy:
        from offline.analyzer import PolicyPackProcess

        pack = PolicyPackProcess()
    exit_code = 0
    try:
        runs = [(stack, run_program_for(stack, root, args.preview)) for stack in stacks]
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for stack, run in runs:
            violations, config_file = [], None
            if pack is not None:
                from offline.analyzer import load_policy_config

                config_file = f"policies/config/{stack}.json"
                pack.configure(load_policy_config(stack))
                violations = pack.analyze_run(run)
            plan = build_plan(run, violations)
            region = str(run.config.get("aws:region", ""))
            plan["estimate"] = _estimate(plan, region, args.as_of)
            against = args.against
            if args.against_ref:
                against = plan_ref(args.against_ref, stack, args.out_dir / "base")
            if against is not None:
                if not against.exists():
                    raise PlanError(f"--against {against}: no such plan file")
                old_plan = json.loads(against.read_text())
                plan["diff"] = diff_plans(old_plan, plan)
                plan["diff"]["estimate"] = estimate_delta(old_plan.get("estimate"), plan["estimate"])
            path = args.out_dir / f"plan-{stack}.json"
            path.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
            if not args.quiet:
                lines = render(plan, config_file) + render_estimate(plan["estimate"])
                if "diff" in plan:
                    lines += render_diff(plan["diff"], str(against))
                print("\n".join(lines + ["", f"Plan written to {os.path.relpath(path)}", ""]))
            if any(v["enforcement"] == "mandatory" for v in plan["violations"]):
                exit_code = 1
    finally:
        if pack is not None:
            pack.close()
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
