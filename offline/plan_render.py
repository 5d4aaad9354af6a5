"""A plan as `make plan` prints it: the summary first, then the resource tree, counts, outputs, the
policy verdict, the Kubernetes versions and the diff."""

from __future__ import annotations

import difflib
import json
from typing import Any

from offline.plan_model import CostEstimate, Diff, KubernetesSummary, LabsVerdict, Plan, PlannedResource, Violation
from offline.resource_types import TYPES
from offline.urns import urn_name, urn_type
from workshop.project import PROJECT

# The few inputs a reviewer looks at first: a column of the resource-type table.
HEADLINE = {t: list(row.headline) for t, row in TYPES.items() if row.headline}


def _get(props: dict[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        value = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in value.items()}
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 70 else text[:67] + "..."


def render_tree(plan: Plan) -> list[str]:
    children: dict[str, list[PlannedResource]] = {}
    for r in sorted(plan.resources, key=lambda r: (r.type, r.name)):
        children.setdefault(r.parent, []).append(r)
    urns = {x.urn for x in plan.resources}
    roots = [r for r in plan.resources if r.parent not in urns]
    lines = [f"    {plan.project}-{plan.stack} (pulumi:pulumi:Stack)"]

    def walk(resource: PlannedResource, prefix: str, last: bool) -> None:
        branch = "└─ " if last else "├─ "
        details = [f"{p}={short(v)}" for p in HEADLINE.get(resource.type, [])
                   if (v := _get(resource.inputs, p)) is not None]
        if resource.protect:
            details.append("[protected]")
        if resource.retain_on_delete:
            details.append("[kept on destroy]")
        lines.append(f"  + {prefix}{branch}{resource.type}  {resource.name}"
                     + (f"  {' '.join(details)}" if details else ""))
        kids = children.get(resource.urn, [])
        for i, kid in enumerate(kids):
            walk(kid, prefix + ("   " if last else "│  "), i == len(kids) - 1)

    for i, r in enumerate(roots):
        walk(r, "", i == len(roots) - 1)
    return lines


def guard_line(plan: Plan) -> str:
    """What stands between a mistake and the cluster, read from the planned resources: Pulumi's protect,
    EKS deletion protection, zonal shift, and node auto repair (groups with it of all)."""
    clusters = [r for r in plan.resources if r.type == "aws:eks/cluster:Cluster"]
    if not clusters:
        return ""
    cluster = clusters[0]
    groups = [r for r in plan.resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    repaired = sum(1 for g in groups if (g.inputs.get("nodeRepairConfig") or {}).get("enabled") is True)
    on = {True: "on", False: "off"}
    parts = [f"protect {on[cluster.protect]}",
             f"EKS deletion protection {on[cluster.inputs.get('deletionProtection') is True]}",
             f"zonal shift {on[(cluster.inputs.get('zonalShiftConfig') or {}).get('enabled') is True]}"]
    if groups:
        parts.append(f"node auto repair {'on' if repaired == len(groups) else 'off' if not repaired else 'partly'}"
                     f" ({repaired} of {len(groups)} node groups)")
    return ", ".join(parts)


def render_summary(plan: Plan, config_file: str | None) -> list[str]:
    """What a reviewer needs in ten seconds, before the details."""
    lines = [f"== {plan.project}/{plan.stack}"]
    diff = plan.diff
    if diff:
        lines.append(f"  changes:     {change_counts(diff)}")
    else:
        lines.append(f"  changes:     {len(plan.custom_resources())} to create (a new stack)")
    for refusal in diff.refusals if diff else []:
        lines.append(f"  REFUSED:     {refusal}")
    if config_file is not None:
        levels = [v.enforcement for v in plan.violations]
        lines.append(f"  policy:      {levels.count('mandatory')} mandatory, {levels.count('advisory')} advisory "
                     f"({config_file})")
    if plan.estimate is None:
        return lines
    cost, time = plan.estimate.cost, plan.estimate.time
    if isinstance(cost, CostEstimate):
        partial = ""
        if cost.not_priced:
            missing = sorted({urn_name(n.urn) for n in cost.not_priced})
            partial = f" (partial: {len(missing)} not priced: {', '.join(missing)})"
        lines.append(f"  cost:        {cost.monthly_at_desired:.2f} USD/month at desired nodes, "
                     f"{cost.monthly_at_max:.2f} at max{partial}")
    else:
        lines.append(f"  cost:        unavailable, {cost.unavailable}")
    lines.append(f"  create time: {time.critical_path_seconds // 60} min {time.critical_path_seconds % 60:02d} s "
                 "on the critical path")
    k = plan.kubernetes
    if k and k.standard_days_left >= 0:
        lines.append(f"  kubernetes:  {k.version}, {k.standard_days_left} days of standard support left "
                     f"({k.standard_support_ends})")
    elif k:
        # Past standard support the control plane is billed at the extended-support rate: say what it costs.
        control_plane = [line for line in cost.lines if line.type == "aws:eks/cluster:Cluster"
                         and line.item.startswith("control plane")] if isinstance(cost, CostEstimate) else []
        price = f"; the control plane costs {control_plane[0].desired:.2f} USD/month there" if control_plane else ""
        lines.append(f"  kubernetes:  {k.version}, in EKS extended support since {k.standard_support_ends}, "
                     f"{k.extended_days_left} days left ({k.extended_support_ends}){price}")
    if guards := guard_line(plan):
        lines.append(f"  guards:      {guards}")
    if k and k.auto_mode_node_pools:
        lines.append(f"  compute:     EKS Auto Mode, node pools {', '.join(k.auto_mode_node_pools)} (EKS launches the nodes)")
    cap = plan.capacity
    if cap:
        per_node = ", ".join(f"{n} {p}" for n, p in cap.pods_per_node.items())
        left = (f"{cap.prefix_blocks_free - cap.prefix_blocks_needed} /28 blocks" if cap.prefix_blocks_needed
                else f"{cap.addresses_free - cap.addresses_needed} addresses")
        lines.append(f"  pods:        {per_node} per node, {cap.pods_at_max_nodes} at max nodes; each private "
                     f"/{cap.subnet_prefix_length} has {left} left at max nodes")
    if plan.labs:
        labs = plan.labs
        checked = f"{labs.repository}@{labs.ref} {labs.commit[:8]} ({labs.committed})"
        lines.append(f"  labs:        ready, checked against {checked}" if labs.ready else
                     f"  labs:        NOT READY against {checked}: {len(labs.missing)} missing (below)")
    if plan.warnings:
        lines.append(f"  warnings:    {len(plan.warnings)} (below)")
    return lines + [""]


def render(plan: Plan, config_file: str | None) -> list[str]:
    lines = [f"Plan for {plan.project}/{plan.stack} (offline: mock engine, no cloud calls)", ""]
    lines += render_tree(plan)
    counts: dict[str, int] = {}
    for r in plan.custom_resources():
        counts[r.type] = counts.get(r.type, 0) + 1
    lines += ["", f"Resources: {sum(counts.values())} to create "
                  f"({len(plan.resources) - sum(counts.values())} components)"]
    lines += [f"  {n:>3}  {t}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "Outputs:"]
    lines += [f"  {k}: {short(v)}" for k, v in sorted(plan.outputs.items())]
    return lines + render_verdict(plan, config_file)


def render_verdict(plan: Plan, config_file: str | None) -> list[str]:
    """Each violation by level, policy, resource and message; nothing when the pack wasn't asked. A diff
    prints it too: a failed gate names what failed."""
    if config_file is None:
        return []
    lines = ["", f"Policy verdict ({config_file}):"]
    for level in ("mandatory", "advisory"):
        found = [v for v in plan.violations if v.enforcement == level]
        lines.append(f"  {level}: {len(found) or 'none'}")
        lines += [f"    {violation_line(v)}" for v in found]
    return lines


def violation_line(v: Violation) -> str:
    """`<policy>  <resource name or (stack)>: <the message's last line>`: the printout's and --quiet's."""
    return f"{v.policy}  {urn_name(v.urn) if v.urn else '(stack)'}: {v.message.splitlines()[-1]}"


def render_labs(labs: LabsVerdict | None) -> list[str]:
    """What the workshop's labs would miss, one line each, below the plan; nothing when they are ready."""
    if labs is None or labs.ready:
        return []
    return ["", "What the workshop's labs would miss (workshop/workshop_labs.json, docs/ide.md):",
            *(f"  - {m}" for m in labs.missing)]


def render_kubernetes(k: KubernetesSummary | None) -> list[str]:
    if k is None:
        return []
    lines = ["", f"Kubernetes {k.version} ({k.support} support on {k.as_of}, upgradeSupportType "
                 f"{k.upgrade_support_type}): standard support until {k.standard_support_ends} "
                 f"({k.standard_days_left} days), extended until {k.extended_support_ends} "
                 f"({k.extended_days_left} days)"]
    lines += [f"  node group {name}: {g.version}, {g.ami_type} release {g.release_version}"
              for name, g in k.node_groups.items()]
    lines.append("  add-ons: " + ", ".join(f"{n} {v}" for n, v in sorted(k.addons.items())))
    return lines


# What a delete-first replacement takes away until the new resource exists.
GONE_FIRST = {
    "aws:eks/nodeGroup:NodeGroup": "every node of the group is terminated first; its pods stay pending until "
                                   "the new group's nodes join (generatedName: true replaces create-first)",
    "aws:eks/cluster:Cluster": "the cluster and every workload on it are deleted first",
    "*": "it does not exist until its replacement is created",
}


def _is_resource(urn: str) -> bool:
    """A resource a cloud API or Kubernetes holds, not one of the program's components or the stack."""
    return not urn_type(urn).startswith((f"{PROJECT}:", "pulumi:pulumi:"))


def change_counts(diff: Diff) -> str:
    """One count for the summary's `changes:` line and the diff's header, in `pulumi preview`'s words:
    resources only (a component creates nothing by itself), moves apart (an alias changes nothing)."""
    actions = [c.action for c in diff.changed if _is_resource(c.urn)]
    text = (f"{sum(map(_is_resource, diff.added))} to create, {actions.count('update')} to update, "
            f"{actions.count('replace')} to replace, {sum(map(_is_resource, diff.removed))} to delete")
    moved = sum(map(_is_resource, diff.moved.values()))
    return text + (f", {moved} moved" if moved else "")


def render_diff(diff: Diff, against: str) -> list[str]:
    lines = ["", f"Changes against {against}: {change_counts(diff)}"]
    lines += [f"  + {urn_type(urn)}  {urn_name(urn)}" for urn in diff.added]
    lines += [f"  - {urn_type(urn)}  {urn_name(urn)}" for urn in diff.removed]
    for c in diff.changed:
        mark = "+-" if c.action == "replace" else "~ "
        forced = f"  (replaced: {', '.join(c.replaced_by)} forces it)" if c.replaced_by else ""
        lines.append(f"  {mark}{c.type}  {urn_name(c.urn)}{forced}")
        if c.delete_before_replace:
            lines.append(f"      ! deleted before its replacement is created: {GONE_FIRST.get(c.type, GONE_FIRST['*'])}")
        for k, v in c.properties.items():
            if isinstance(v["old"], str) and isinstance(v["new"], str) and "\n" in v["old"] + v["new"]:
                lines.append(f"      {k}:")
                lines += [f"        {line}" for line in difflib.unified_diff(
                    v["old"].splitlines(), v["new"].splitlines(), "old", "new", lineterm="", n=1)]
            else:
                lines.append(f"      {k}: {short(v['old'])} => {short(v['new'])}")
    for old_urn, urn in diff.moved.items():
        lines.append(f"  > {urn_name(urn)}  moved from {urn_name(old_urn)} "
                     "(alias: same resource, not re-created)")
    upgrade = diff.upgrade
    if upgrade:
        lines += ["", f"Kubernetes {upgrade.from_} -> {upgrade.to}: {upgrade.verdict}"]
        for i, wave in enumerate(upgrade.waves, 1):
            lines.append(f"  {i}. " + ", ".join(f"{w.name} ({w.action})" for w in wave))
    delta = diff.estimate
    if delta:
        lines += ["", f"Estimate change: {delta.monthly_at_desired:+.2f} USD/month at desired "
                      f"({delta.monthly_at_max:+.2f} at max), {delta.critical_path_seconds:+d} s create time"]
    if diff.warnings:
        lines += ["", "WARNING: stateful resources would be replaced or deleted:"]
        lines += [f"  ! {w}" for w in diff.warnings]
    if diff.refusals:
        lines += ["", "ERROR: the real preview would refuse this change (exit 2):"]
        lines += [f"  x {r}" for r in diff.refusals]
    return lines
