"""What changed between two plans of one stack: added, removed, moved and changed resources, whether
each change updates in place or replaces (offline/replacement.py), warnings where state or endpoints
are lost or a version steps back, and a Kubernetes version change read as an upgrade in apply order."""

from __future__ import annotations

import re
from typing import Any

from offline.plan_model import Diff, Plan, PlannedResource, ResourceChange, Upgrade, UpgradeStep
from offline.replacement import provider_deletes_first, replacement
from offline.resource_types import TYPES
from offline.urns import ROOT_STACK_TYPE, create_urn, new_urn, urn_name, urn_parts
from offline.wire import UNKNOWN_WIRE

# The types whose replacement or deletion loses data or endpoints (a WARNING in every diff).
STATEFUL = tuple(t for t, row in TYPES.items() if row.stateful)


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


def diff_plans(old: Plan, new: Plan) -> Diff:
    """Added, removed and changed resources (by URN), the changed inputs, and replacement warnings.

    A resource that names an old URN among its aliases was moved, not replaced: it is compared with
    what stood at that URN (and listed under `moved`).
    """
    after = {r.urn: r for r in new.resources}
    moved = resolve_aliases(old, new)
    before = {moved.get(r.urn, r.urn): r for r in old.resources}
    kept = _kept_identities(before, after, set(moved.values()))
    changed, warnings = [], []
    for urn in sorted(before.keys() & after.keys()):
        was, now = before[urn], after[urn]
        a, b = _flatten(was.inputs), _flatten(kept(now.inputs))
        props = {k: {"old": a.get(k), "new": b.get(k)} for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
        if was.protect != now.protect:
            props["(protect)"] = {"old": was.protect, "new": now.protect}
        if was.retain_on_delete != now.retain_on_delete:
            props["(retainOnDelete)"] = {"old": was.retain_on_delete, "new": now.retain_on_delete}
        if not props:
            continue
        # Generated from the providers' schemas (offline/replacement.py), not listed by hand.
        forced, maybe = replacement(now.type, was.inputs, now.inputs, now.replace_on_changes)
        changed.append(ResourceChange(
            urn=urn, type=now.type, properties=props, action="replace" if forced else "update", replaced_by=forced,
            # the old one goes first: a gap, not an overlap
            delete_before_replace=bool(forced and (now.delete_before_replace
                                                   or provider_deletes_first(now.type, now.inputs))),
            may_replace=maybe or []))
        if forced and now.type in STATEFUL:
            warnings.append(f"{now.type} {now.name}: changing {', '.join(forced)} replaces it "
                            "(delete and re-create, data and endpoints lost)")
        going_back = GOING_BACK.get(now.type)
        if going_back and going_back[0] in props:
            key, parse_version, why = going_back
            old_v, new_v = parse_version(props[key]["old"]), parse_version(props[key]["new"])
            if old_v and new_v and new_v < old_v:
                warnings.append(f"{now.type} {now.name}: {key} goes back {props[key]['old']} -> "
                                f"{props[key]['new']}: {why}")
    removed = sorted(before.keys() - after.keys())
    for urn in removed:
        if before[urn].type in STATEFUL:
            warnings.append(f"{before[urn].type} {before[urn].name}: removed, it will be deleted")
    old_urns = {r.urn for r in old.resources}
    diff = Diff(added=sorted(after.keys() - before.keys()), removed=removed, changed=changed,
                moved={old_urn: urn for old_urn, urn in sorted(moved.items()) if old_urn in old_urns},
                warnings=warnings)
    upgrade = upgrade_of(old, new, diff)
    refusals = protection_refusals(before, diff)
    if upgrade and upgrade.verdict.startswith("refused"):
        refusals.append(f"Kubernetes {upgrade.from_} -> {upgrade.to}: {upgrade.verdict}")
    return diff.model_copy(update={"upgrade": upgrade, "refusals": refusals})


def protection_refusals(before: dict[str, PlannedResource], diff: Diff) -> list[str]:
    """The engine refuses to replace or delete a resource that is protected in the state (the base plan's
    `protect`, whatever the new plan says): `preview` errors, `up` stops."""
    way_through = ("the engine refuses; first unprotect it in a change of its own (eks-workshop:protect false, "
                   "`pulumi up`), then make this one")
    refusals = [f"{c.type} {urn_name(c.urn)} is protected and changing {', '.join(c.replaced_by)} "
                f"replaces it: {way_through}"
                for c in diff.changed if c.action == "replace" and before[c.urn].protect]
    refusals += [f"{before[urn].type} {before[urn].name} is protected and this change deletes it: {way_through}"
                 for urn in diff.removed if before[urn].protect]
    return refusals


# ---------------------------------------------------------------------------- aliases, as the engine
# resolves them: pulumi/pulumi pkg/resource/deploy/step_generator.go (collapseAliasToUrn,
# inheritedChildAlias, generateAliases, getOldResource) and sdk/go/common/resource/urn.go.

def resolve_aliases(old: Plan, new: Plan) -> dict[str, str]:
    """Old URN -> new URN of every resource the engine would find in the old state through an alias:
    its own URN first, then each alias (full URNs, and specs collapsed against its name, type and parent),
    then the aliases its parent was found under, multiplied out to the child (a child named with the
    parent's name as prefix gets the prefix substituted)."""
    olds = {r.urn for r in old.resources}
    by_urn = {r.urn: r for r in new.resources}
    found_as: dict[str, str] = {}  # new URN -> the old URN it was found under (the engine's sg.aliases)
    seen: set[str] = set()

    def collapse(r: PlannedResource, alias: dict[str, Any]) -> str:
        if alias.get("urn"):
            return alias["urn"]
        parent = alias.get("parentUrn") or ""
        parent = found_as.get(parent, parent) if parent else r.parent
        if alias.get("noParent") or (parent and urn_parts(parent)[2] == ROOT_STACK_TYPE):
            parent = ""
        return create_urn(alias.get("name") or r.name, alias.get("type") or r.type, parent,
                           alias.get("project") or new.project, alias.get("stack") or new.stack)

    def inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        _, _, parent_qualified, alias_name = urn_parts(parent_alias)
        name = alias_name + child_name[len(parent_name):] if child_name.startswith(parent_name) else child_name
        return new_urn(new.stack, new.project, parent_qualified, child_type, name)

    def visit(r: PlannedResource) -> None:
        if r.urn in seen:
            return
        seen.add(r.urn)
        if r.parent in by_urn:
            visit(by_urn[r.parent])  # parents register first: their aliases are known to the children
        own = [collapse(r, a) for a in [{"urn": u} for u in r.aliases] + list(r.alias_specs)]
        candidates = list(own)
        if r.parent and r.parent in found_as:
            parent_alias, parent_name = found_as[r.parent], urn_parts(r.parent)[3]
            candidates.append(inherited(r.type, r.name, parent_name, parent_alias))
            for child in own:
                candidates.append(inherited(urn_parts(child)[2].rsplit("$", 1)[-1], urn_parts(child)[3],
                                            parent_name, parent_alias))
        if r.urn in olds:
            return
        for candidate in dict.fromkeys(candidates):
            if candidate in olds:
                found_as[r.urn] = candidate
                return

    for resource in new.resources:
        visit(resource)
    return {old_urn: new_urn for new_urn, old_urn in found_as.items()}


def _kept_identities(before: dict[str, PlannedResource], after: dict[str, PlannedResource],
                     moved_to: set[str]):
    """A moved resource keeps its identity (the engine finds it in the state: same ID, same ARN), but the
    mock derives IDs from logical names. So in the new plan's inputs, every ID and output a moved
    resource has in the new plan reads as what it had in the old one."""
    swap: dict[str, str] = {}
    for urn in moved_to:
        was, now = before[urn], after[urn]
        pairs = [(now.id, was.id)] + [(now.outputs.get(k), v) for k, v in was.outputs.items()]
        swap.update({n: o for n, o in pairs if isinstance(n, str) and isinstance(o, str) and n != o and len(n) >= 8})
    if not swap:
        return lambda value: value
    pattern = re.compile("|".join(map(re.escape, sorted(swap, key=len, reverse=True))))

    def kept(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: swap[m.group(0)], value)
        if isinstance(value, dict):
            return {k: kept(v) for k, v in value.items()}
        if isinstance(value, list):
            return [kept(v) for v in value]
        return value

    return kept


def _cluster_version(plan: Plan) -> str | None:
    clusters = [r for r in plan.resources if r.type == "aws:eks/cluster:Cluster"]
    return clusters[0].inputs.get("version") if len(clusters) == 1 else None


def update_waves(plan: Plan, changed: set[str]) -> list[list[str]]:
    """The changed resources in the order one `pulumi up` applies them: wave n waits for a changed
    resource of wave n-1 (directly or through unchanged ones), resources of one wave run in parallel."""
    deps = {r.urn: r.dependencies for r in plan.resources}
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


def upgrade_of(old: Plan, new: Plan, diff: Diff) -> Upgrade | None:
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
        rollback = new.kubernetes.rollback_from if new.kubernetes else None
        verdict = ("rollback: one minor, within EKS's rollback window (cluster.rollback)" if step == -1 and rollback
                   else "refused: a downgrade without cluster.rollback")
    actions = {c.urn: c.action for c in diff.changed}
    by_urn = {r.urn: r for r in new.resources}
    return Upgrade(from_=before, to=after, verdict=verdict,
                   waves=[[UpgradeStep(urn=u, type=by_urn[u].type, name=by_urn[u].name, action=actions[u]) for u in wave]
                    for wave in update_waves(new, set(actions))])
