"""What a plan will cost per month, and how long `pulumi up` will take to create it.

Both read a plan (`build/plan-<stack>.json`, typed in offline/plan_model.py), the versioned tables in
`estimates/` (list prices per region with their sources, usage assumptions), the version catalogue's
EKS support calendar, and the resource-type table (offline/resource_types.py): each type's price rule
and typical create duration. Nothing here calls AWS.

Cost: one line per priced resource, at the node groups' desired size and at their maximum. A type the
tables don't know is listed as "not priced", never counted as zero.

Time: the critical path through the plan's dependency graph (what `pulumi up` waits for, since it
creates independent resources in parallel) next to the sum of all durations (a fully serial tool).
Edges of the path that come from an explicit `dependsOn` rather than from data are flagged.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from offline.plan_model import (
    CostEstimate,
    CostLine,
    CostUnavailable,
    Estimate,
    EstimateDelta,
    NotPriced,
    PathStep,
    Plan,
    TimeEstimate,
)
from offline.prices import PriceBook, Unpriced
from offline.resource_types import DEFAULT_SECONDS, TYPES
from offline.urns import urn_name

TABLES = Path(__file__).resolve().parent.parent / "estimates"

# Orderings that are deliberate, by (waiting type, awaited type): shown on the critical path as such.
DELIBERATE = {
    ("aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon"): "nodes join with vpc-cni configured",
    ("aws:eks/addon:Addon", "aws:eks/nodeGroup:NodeGroup"): "coredns and metrics-server need nodes",
    ("kubernetes:apps/v1:Deployment", "aws:eks/addon:Addon"): "the readiness gate runs after the add-ons",
    ("kubernetes:apps/v1:Deployment", "aws:eks/nodeGroup:NodeGroup"): "the readiness gate needs nodes",
    ("aws:eks/cluster:Cluster", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"): "the cluster role needs its policies",
    ("aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"): "EKS must find the log group with retention",
    ("aws:eks/addon:Addon", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        "aws-node's IRSA role needs its policy before the add-on starts it",
    ("aws:ec2/instance:Instance", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"):
        "the IDE bootstrap writes a kubeconfig that must work",
}


@cache
def _table(name: str) -> dict[str, Any]:
    return json.loads((TABLES / name).read_text())


def price_table(region: str) -> dict[str, Any]:
    path = TABLES / f"prices-{region}.json"
    if not path.exists():
        known = sorted(p.stem.removeprefix("prices-") for p in TABLES.glob("prices-*.json"))
        raise KeyError(f"no price table for region {region!r} (have: {', '.join(known)})")
    return _table(path.name)


# ------------------------------------------------------------------------------------------ cost


def estimate_cost(plan: Plan, region: str, as_of: dt.date) -> CostEstimate:
    prices = price_table(region)["prices"]
    assumptions = _table("assumptions.json")
    hours = assumptions["hoursPerMonth"]
    usage = {k: v["value"] for k, v in assumptions["usage"].items()}
    lines: list[CostLine] = []
    not_priced: list[NotPriced] = []

    book = PriceBook(prices, hours, usage, as_of, {r.urn: r for r in plan.resources})
    for r in plan.resources:
        row = TYPES.get(r.type)
        if not r.custom:
            continue
        if row is None:
            not_priced.append(NotPriced(urn=r.urn, type=r.type, why="no pricing rule for this type"))
            continue
        if row.price is None:
            continue  # free by itself (its traffic or what it enables is priced elsewhere)
        for charge in row.price(r, book):
            if isinstance(charge, Unpriced):
                not_priced.append(NotPriced(urn=r.urn, type=r.type, why=charge.why))
            else:
                desired = round(charge.desired, 2)
                maximum = desired if charge.maximum is None else round(charge.maximum, 2)
                lines.append(CostLine(urn=r.urn, name=r.name, type=r.type, item=charge.item, desired=desired, max=maximum))
    return CostEstimate(
        region=region,
        currency="USD",
        as_of=as_of.isoformat(),
        prices_taken=price_table(region)["taken"],
        lines=lines,
        not_priced=not_priced,
        monthly_at_desired=round(sum(x.desired for x in lines), 2),
        monthly_at_max=round(sum(x.max for x in lines), 2),
    )


# ------------------------------------------------------------------------------------------ time


def estimate_time(plan: Plan) -> TimeEstimate:
    seconds = {t: row.seconds for t, row in TYPES.items()}
    resources = {r.urn: r for r in plan.resources}
    children: dict[str, list[str]] = {}
    for r in plan.resources:
        children.setdefault(r.parent, []).append(r.urn)
    unknown = sorted({r.type for r in plan.resources if r.custom and r.type not in seconds})

    def duration(urn: str) -> int:
        r = resources[urn]
        return seconds.get(r.type, DEFAULT_SECONDS) if r.custom else 0

    finish: dict[str, int] = {}
    via: dict[str, str | None] = {}

    def waits_for(urn: str) -> list[str]:
        r = resources[urn]
        # A dependency on a component is a dependency on everything inside it.
        deps = [d for d in r.dependencies if d in resources]
        if not r.custom:
            deps += children.get(urn, [])
        return deps

    def done(urn: str, visiting: frozenset = frozenset()) -> int:
        if urn in finish:
            return finish[urn]
        if urn in visiting:
            return 0  # a cycle can only come from component bookkeeping; it adds no time
        best, best_dep = 0, None
        for dep in waits_for(urn):
            t = done(dep, visiting | {urn})
            if t > best:
                best, best_dep = t, dep
        finish[urn], via[urn] = best + duration(urn), best_dep
        return finish[urn]

    for urn in resources:
        done(urn)
    end = max(resources, key=lambda u: (finish[u], resources[u].custom), default=None)
    path: list[str] = []
    while end is not None:
        if resources[end].custom:
            path.append(end)
        end = via.get(end)
    path.reverse()
    steps = []
    for i, urn in enumerate(path):
        r = resources[urn]
        edge = None
        if i:
            prev = resources[path[i - 1]]
            data_edge = prev.urn in {u for deps in r.property_dependencies.values() for u in deps}
            if not data_edge:
                reason = DELIBERATE.get((r.type, prev.type))
                edge = f"explicit dependsOn: {reason}" if reason else \
                    "explicit dependsOn, not data: review whether it must wait"
        steps.append(PathStep(urn=urn, type=r.type, name=r.name, seconds=duration(urn), finishes=finish[urn], edge=edge))
    return TimeEstimate(
        critical_path_seconds=max(finish.values(), default=0),
        serial_seconds=sum(duration(u) for u in resources),
        critical_path=steps,
        flagged=[s for s in steps if (s.edge or "").startswith("explicit dependsOn, not data")],
        types_without_duration=unknown,
    )


# ------------------------------------------------------------------------------------------ both


def estimate(plan: Plan, region: str, as_of: dt.date) -> Estimate:
    """Cost and time; a region without a price table still gets its time estimate."""
    try:
        cost: CostEstimate | CostUnavailable = estimate_cost(plan, region, as_of)
    except KeyError as e:
        cost = CostUnavailable(unavailable=str(e.args[0]))
    return Estimate(cost=cost, time=estimate_time(plan))


def _minutes(s: int) -> str:
    return f"{s // 60} min {s % 60:02d} s"


def render_estimate(est: Estimate) -> list[str]:
    cost, time = est.cost, est.time
    # A region without a price table is said once, in the summary's `cost:` line.
    lines = [] if isinstance(cost, CostUnavailable) else _render_cost(cost)
    lines += ["", f"Estimated create time: {_minutes(time.critical_path_seconds)} on the critical path "
                  f"(a serial tool: {_minutes(time.serial_seconds)})"]
    for step in time.critical_path:
        note = f"   <- {step.edge}" if step.edge else ""
        lines.append(f"  {_minutes(step.finishes):>12}  +{step.seconds:>3}s  {step.type}  {step.name}{note}")
    if time.types_without_duration:
        lines.append(f"  no duration in the table (counted as 5 s): {', '.join(time.types_without_duration)}")
    return lines


def _render_cost(cost: CostEstimate) -> list[str]:
    lines = ["", f"Estimated monthly cost ({cost.region}, list prices taken {cost.prices_taken}, "
                 f"730 h/month, {cost.currency}):"]
    for x in sorted(cost.lines, key=lambda x: (-x.desired, -x.max)):
        at_max = f"  (max {x.max:.2f})" if x.max != x.desired else ""
        lines.append(f"  {x.desired:>9.2f}{at_max}  {x.name}: {x.item}")
    lines.append(f"  total {cost.monthly_at_desired:.2f} at desired node counts, {cost.monthly_at_max:.2f} at max")
    for n in cost.not_priced:
        lines.append(f"  not priced: {urn_name(n.urn)} ({n.type}): {n.why}")
    return lines


def estimate_delta(old: Estimate | None, new: Estimate) -> EstimateDelta | None:
    if old is None or isinstance(old.cost, CostUnavailable) or isinstance(new.cost, CostUnavailable):
        return None
    return EstimateDelta(
        monthly_at_desired=round(new.cost.monthly_at_desired - old.cost.monthly_at_desired, 2),
        monthly_at_max=round(new.cost.monthly_at_max - old.cost.monthly_at_max, 2),
        critical_path_seconds=new.time.critical_path_seconds - old.time.critical_path_seconds,
    )
