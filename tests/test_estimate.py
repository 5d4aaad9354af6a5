"""Cost and create-time estimates: hand-built plans with known answers, and sanity on the real stacks."""

from __future__ import annotations

import datetime as dt

import pytest

from offline.estimate import estimate, estimate_cost, estimate_time
from offline.plan_model import SCHEMA_VERSION, CostEstimate, NotPriced, Plan
from offline.prices import support_status
from offline.runner import run_stack

DAY = dt.date(2025, 1, 1)


def res(name, type_, inputs=None, deps=(), data=(), custom=True, parent="", id_=None):
    urn = f"urn:pulumi:s::p::{type_}::{name}"
    return {"urn": urn, "type": type_, "name": name, "custom": custom, "parent": parent,
            "dependencies": [f"urn:pulumi:s::p::{d}" for d in deps],
            "propertyDependencies": {"x": [f"urn:pulumi:s::p::{d}" for d in data]},
            "protect": False, "id": id_ or name, "inputs": inputs or {}, "outputs": {}}


def planned(resources: list[dict]) -> Plan:
    """A plan of hand-written resources, read the way a plan file is read."""
    return Plan.from_json({"schemaVersion": SCHEMA_VERSION, "project": "p", "stack": "s", "resources": resources,
                           "outputs": {}, "violations": []})


def small_plan() -> Plan:
    node_group = res("ng", "aws:eks/nodeGroup:NodeGroup", {
        "instanceTypes": ["m5.large"], "launchTemplate": {"id": "lt-1"},
        "scalingConfig": {"minSize": 1, "desiredSize": 2, "maxSize": 4}})
    # The template is found by the input's dependency, as in a preview where its ID is unknown.
    node_group["propertyDependencies"] = {"launchTemplate": ["urn:pulumi:s::p::aws:ec2/launchTemplate:LaunchTemplate::lt"]}
    return planned([
        res("c", "aws:eks/cluster:Cluster", {"version": "1.31", "enabledClusterLogTypes": ["api", "audit"]}),
        res("lt", "aws:ec2/launchTemplate:LaunchTemplate",
            {"blockDeviceMappings": [{"ebs": {"volumeSize": 50}}]}, id_=""),
        node_group,
        res("nat", "aws:ec2/natGateway:NatGateway"),
        res("eip", "aws:ec2/eip:Eip"),
        res("key", "aws:kms/key:Key"),
        res("vpc", "aws:ec2/vpc:Vpc"),
        res("bucket", "aws:s3/bucket:Bucket"),
        res("comp", "eks-workshop:network:Network", custom=False),
    ])


def test_cost_of_a_small_plan_in_us_west_2():
    cost = estimate_cost(small_plan(), "us-west-2", DAY)
    items = {(x.name, x.item.split(",")[0].split(" x ")[0]): (x.desired, x.max) for x in cost.lines}
    assert items[("c", "control plane")] == (73.00, 73.00)           # 0.10 * 730
    assert items[("c", "control-plane logs")] == (6.00, 6.00)        # (2 + 10) GB * 0.50
    assert items[("ng", "m5.large")] == (140.16, 280.32)             # 0.096 * 730 * 2, * 4
    assert items[("ng", "gp3 root volumes 50 GiB")] == (8.00, 16.00)  # 50 * 0.08 * 2, * 4
    assert items[("nat", "NAT gateway")] == (32.85, 32.85)           # 0.045 * 730
    assert items[("nat", "NAT data processing")] == (2.25, 2.25)     # 50 GB * 0.045
    assert items[("eip", "public IPv4 address")] == (3.65, 3.65)     # 0.005 * 730
    assert items[("key", "KMS key")] == (1.00, 1.00)
    assert len(cost.lines) == 8  # the VPC and the component cost nothing and add no line
    assert cost.monthly_at_desired == 266.91 and cost.monthly_at_max == 415.07
    assert cost.not_priced == [NotPriced(urn="urn:pulumi:s::p::aws:s3/bucket:Bucket::bucket", type="aws:s3/bucket:Bucket",
                                         why="no pricing rule for this type")]


def test_extended_support_costs_six_times_standard():
    assert support_status("1.31", dt.date(2025, 11, 26)) == "standard"
    assert support_status("1.31", dt.date(2025, 11, 27)) == "extended"
    assert support_status("1.31", dt.date(2026, 11, 27)) == "ended"
    assert support_status("9.99", DAY) == "unknown"
    plan = planned([res("c", "aws:eks/cluster:Cluster", {"version": "1.31"})])
    assert estimate_cost(plan, "ap-northeast-2", dt.date(2025, 6, 1)).monthly_at_desired == 73.00
    assert estimate_cost(plan, "ap-northeast-2", dt.date(2026, 6, 1)).monthly_at_desired == 438.00


def test_spot_and_unknown_instance_types_are_not_priced_never_zero():
    plan = planned([
        res("spot", "aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["m5.large"], "capacityType": "SPOT",
                                                    "scalingConfig": {"desiredSize": 1, "maxSize": 1}}),
        res("odd", "aws:ec2/instance:Instance", {"instanceType": "x9.huge"}),
    ])
    cost = estimate_cost(plan, "us-west-2", DAY)
    assert {n.why for n in cost.not_priced} == {"spot prices vary", "no price for x9.huge"}
    assert all("x9.huge instance" not in x.item for x in cost.lines)


def test_region_without_a_price_table_is_an_error():
    with pytest.raises(KeyError, match="no price table for region 'mars-east-1'"):
        estimate_cost(small_plan(), "mars-east-1", DAY)


def test_time_is_the_critical_path_not_the_sum():
    plan = planned([
        res("vpc", "aws:ec2/vpc:Vpc"),                                                           # 5
        res("cluster", "aws:eks/cluster:Cluster", deps=["aws:ec2/vpc:Vpc::vpc"],
            data=["aws:ec2/vpc:Vpc::vpc"]),                                                      # 600
        res("cni", "aws:eks/addon:Addon", deps=["aws:eks/cluster:Cluster::cluster"],
            data=["aws:eks/cluster:Cluster::cluster"]),                                          # 60
        res("nodes", "aws:eks/nodeGroup:NodeGroup", deps=["aws:eks/addon:Addon::cni"]),          # 240, explicit
        res("key", "aws:kms/key:Key"),                                                           # 10, parallel
        res("svc", "kubernetes:core/v1:Service", deps=["aws:eks/nodeGroup:NodeGroup::nodes"]),  # 10, explicit
        res("mystery", "aws:s3/bucket:Bucket"),                                                  # default 5
    ])
    time = estimate_time(plan)
    assert time.critical_path_seconds == 5 + 600 + 60 + 240 + 10
    assert time.serial_seconds == 5 + 600 + 60 + 240 + 10 + 10 + 5
    assert [s.name for s in time.critical_path] == ["vpc", "cluster", "cni", "nodes", "svc"]
    edges = {s.name: s.edge for s in time.critical_path}
    assert edges["cluster"] is None and edges["cni"] is None                  # data edges
    assert edges["nodes"] == "explicit dependsOn: nodes join with vpc-cni configured"
    assert (edges["svc"] or "").startswith("explicit dependsOn, not data")          # flagged for review
    assert [s.name for s in time.flagged] == ["svc"]
    assert time.types_without_duration == ["aws:s3/bucket:Bucket"]


def test_depending_on_a_component_waits_for_its_children():
    comp = "urn:pulumi:s::p::eks-workshop:nodes:ManagedNodeGroup::group"
    plan = planned([
        res("group", "eks-workshop:nodes:ManagedNodeGroup", custom=False),
        res("ng", "aws:eks/nodeGroup:NodeGroup", parent=comp),
        res("coredns", "aws:eks/addon:Addon", deps=["eks-workshop:nodes:ManagedNodeGroup::group"]),
    ])
    assert estimate_time(plan).critical_path_seconds == 240 + 60


# ------------------------------------------------------------------ the real stacks


def plan_cost(stack: str, **overrides) -> CostEstimate:
    return estimate_cost(Plan.of_run(run_stack(stack, overrides=overrides or None)), "ap-northeast-2",
                         dt.date(2026, 11, 25))


def test_prod_with_nat_per_az_costs_more_than_dev():
    dev, prod = plan_cost("dev"), plan_cost("prod")
    nat = lambda c: sum(x.desired for x in c.lines if x.item.startswith("NAT gateway"))  # noqa: E731
    assert nat(prod) == pytest.approx(3 * nat(dev))
    # dev's control plane is in extended support (the workshop's minor): compare the rest.
    control_plane = lambda c: sum(x.desired for x in c.lines if x.item.startswith("control plane"))  # noqa: E731
    assert prod.monthly_at_desired - control_plane(prod) > dev.monthly_at_desired - control_plane(dev)
    assert prod.monthly_at_max - prod.monthly_at_desired > dev.monthly_at_max - dev.monthly_at_desired


def test_disabling_the_ide_removes_its_cost():
    with_ide = plan_cost("dev")
    without = plan_cost("dev", **{"eks-workshop:ide": {"enabled": False}})
    ide_lines = [x for x in with_ide.lines if x.name.startswith("ide-")]
    assert ide_lines and not [x for x in without.lines if x.name.startswith("ide-")]
    assert with_ide.monthly_at_desired - without.monthly_at_desired == pytest.approx(
        sum(x.desired for x in ide_lines), abs=0.01)


def test_every_resource_of_every_stack_is_priced_or_free(any_stack):
    """Each stack in its own region, where that region has a price table (a user's stack may have none)."""
    from offline.runner import stack_region
    from workshop.project import ROOT

    region = stack_region(any_stack.config)
    if (ROOT / "estimates" / f"prices-{region}.json").exists():
        cost = estimate_cost(Plan.of_run(any_stack), region, dt.date(2026, 11, 25))
        assert cost.not_priced == []
    assert estimate_time(Plan.of_run(any_stack)).types_without_duration == []


def test_a_region_without_prices_still_gets_its_time_and_no_cost_delta():
    from offline.estimate import estimate, estimate_delta
    from offline.plan_model import CostUnavailable, Estimate

    est = estimate(small_plan(), "mars-east-1", DAY)
    assert isinstance(est.cost, CostUnavailable) and "no price table for region 'mars-east-1'" in est.cost.unavailable
    assert est.time.critical_path_seconds > 0
    # Read back from its JSON, the unavailable cost stays unavailable; a delta against it is None.
    assert Estimate.from_json(est.to_json()) == est
    assert estimate_delta(est, estimate(small_plan(), "us-west-2", DAY)) is None


def test_a_transit_gateway_attachment_is_priced_and_timed():
    """staging attaches a transit gateway: its hours and (assumed) data processing are priced, its create
    time counted; the same stack without a gateway costs exactly those lines less."""
    import json

    from offline.runner import load_stack_config

    plan = Plan.of_run(run_stack("staging"))
    cost = estimate_cost(plan, "ap-northeast-2", DAY)
    lines = [line for line in cost.lines if line.name == "network-tgw"]
    assert [line.item for line in lines] == ["transit gateway VPC attachment",
                                             "transit gateway data processing, 20 GB/month (assumed)"]
    assert lines[0].desired == pytest.approx(0.07 * 730) and lines[1].desired == pytest.approx(20 * 0.02)
    cluster = json.loads(json.dumps(load_stack_config("staging")["eks-workshop:cluster"]))
    del cluster["remoteNetworks"]["vpcGatewayId"]
    cluster["deployerCidrs"] = ["10.44.0.0/24"]  # runners inside staging's VPC: no route back needed
    without = Plan.of_run(run_stack("staging", overrides={"eks-workshop:cluster": cluster}))
    assert cost.monthly_at_desired - estimate_cost(without, "ap-northeast-2", DAY).monthly_at_desired == \
        pytest.approx(sum(line.desired for line in lines), abs=0.01)
    time_with, time_without = estimate_time(plan), estimate_time(without)
    assert time_with.serial_seconds - time_without.serial_seconds >= 90


def test_the_priced_regions_are_the_price_tables_and_an_unpriced_region_says_so_once():
    import re

    from offline.estimate import render_estimate
    from offline.plan_render import render_summary
    from workshop.project import ROOT

    tables = sorted(p.name.removeprefix("prices-").removesuffix(".json") for p in (ROOT / "estimates").glob("prices-*.json"))
    doc = (ROOT / "docs" / "your-own-stack.md").read_text()
    listed = re.search(r"<!-- priced-regions -->(.*?)<!-- /priced-regions -->", doc, re.S)
    assert listed is not None and [r.strip() for r in listed.group(1).split(",")] == tables
    # dev's plan priced as if in eu-west-1: the region only picks the price table.
    plan = Plan.of_run(run_stack("dev"))
    plan = plan.model_copy(update={"estimate": estimate(plan, "eu-west-1", dt.date(2026, 11, 25))})
    assert plan.estimate is not None
    printed = "\n".join(render_summary(plan, None) + render_estimate(plan.estimate))
    assert printed.count("no price table for region 'eu-west-1'") == 1
