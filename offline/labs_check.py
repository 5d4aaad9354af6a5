"""Whether the workshop's labs can run on a planned stack: the plan's `labs:` line.

Every need recorded in workshop/workshop_labs.json is judged against the plan's resources: each lookup
the labs' Terraform makes, evaluated as EC2 evaluates its filters (every filter must match; tag values
are case-sensitive globs), must find exactly the set it expects, which is read from the stack's own
outputs (`vpcId`, `privateSubnetIds`, `publicSubnetIds`), not from the tags being judged; then what the
labs find by name, what they install themselves, and what they need of the cluster, the nodes and the
IDE. Each shortfall is one line saying what a lab would miss.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from offline.plan_model import LabsVerdict, Plan, PlannedResource
from workshop import labs

# A data source's resource type in the plan.
DATA_SOURCE_TYPES = {
    "aws_vpc": "aws:ec2/vpc:Vpc",
    "aws_subnets": "aws:ec2/subnet:Subnet",
    "aws_subnet": "aws:ec2/subnet:Subnet",
    "aws_route_tables": "aws:ec2/routeTable:RouteTable",
    "aws_nat_gateways": "aws:ec2/natGateway:NatGateway",
}
# Data sources that fail unless exactly one resource matches (the Terraform AWS provider's singular ones).
SINGULAR = frozenset({"aws_vpc", "aws_subnet"})


def tags_match(tags: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    """EC2's `tag:<key>` filters: the key present and its value matching the glob, case-sensitively."""
    return all(key in tags and fnmatchcase(str(tags[key]), pattern) for key, pattern in filters.items())


def _of_type(plan: Plan, type_: str) -> list[PlannedResource]:
    return [r for r in plan.resources if r.type == type_]


def _vpc_of(plan: Plan) -> Callable[[PlannedResource], str]:
    """The VPC a resource of `plan` is in (a NAT gateway through its subnet)."""
    subnet_vpcs = {s.id: str(s.inputs.get("vpcId")) for s in _of_type(plan, "aws:ec2/subnet:Subnet")}
    return lambda r: str(r.inputs["vpcId"]) if "vpcId" in r.inputs else subnet_vpcs.get(str(r.inputs.get("subnetId")), "")


def _names(plan: Plan, ids: Iterable[str]) -> str:
    by_id = {r.id: r.name for r in plan.resources}
    return ", ".join(sorted(by_id.get(i, i) for i in ids)) or "nothing"


def lookup_problems(plan: Plan, cluster: str) -> list[str]:
    """Each recorded lookup that would find other than what the labs expect."""
    vpc = str(plan.outputs.get("vpcId", ""))
    private = [str(i) for i in plan.outputs.get("privateSubnetIds") or []]
    public = [str(i) for i in plan.outputs.get("publicSubnetIds") or []]
    problems = []
    vpc_of = _vpc_of(plan)
    for lookup in labs.lookups():
        candidates = _of_type(plan, DATA_SOURCE_TYPES[lookup.data_source])
        found = {r.id for r in candidates
                 if tags_match(r.inputs.get("tags") or {}, lookup.tag_filters(cluster))
                 and (not lookup.in_cluster_vpc or vpc_of(r) == vpc)}
        in_vpc = {r.id for r in candidates if vpc_of(r) == vpc}
        exact = {"vpc": {vpc}, "private-subnets": set(private), "public-subnets": set(public),
                 "first-private-subnet": set(private[:1])}.get(lookup.expects)
        if exact is not None:
            ok = found == exact
        else:  # cluster-subnets, route-tables, nat-gateways: some, and only the cluster VPC's
            ok = bool(found) and found <= in_vpc
        if lookup.data_source in SINGULAR and len(found) != 1:
            ok = False
        if not ok:
            where = " in the cluster VPC" if lookup.in_cluster_vpc else ""
            problems.append(
                f"{lookup.data_source} with {dict(lookup.tag_filters(cluster))}{where} ({len(lookup.files)} lab "
                f"files, e.g. {lookup.files[0]}) finds {_names(plan, found)}; the labs expect "
                f"{lookup.expects.replace('-', ' ')}: {_names(plan, exact if exact is not None else in_vpc)}")
    return problems


def name_problems(plan: Plan, cluster: str) -> list[str]:
    """What the labs find by name: the node group, eksctl's tags, the node role, the node instances."""
    expected = labs.node_group()
    groups = {str(r.inputs.get("nodeGroupName")): r for r in _of_type(plan, "aws:eks/nodeGroup:NodeGroup")}
    group = groups.get(str(expected["name"]))
    problems = []
    for need in labs.named_expectations():
        what, name = need["what"], need["name"].replace(labs.PLACEHOLDERS["cluster"], cluster)
        if what == "managedNodeGroup":
            if group is None:
                problems.append(f"no managed node group named {name!r} (setup.sh's EKS_DEFAULT_MNG_NAME; "
                                "prepare-environment resizes it)")
                continue
            scaling = group.inputs.get("scalingConfig") or {}
            have = {k: int(scaling[k]) if k in scaling else None for k in ("minSize", "desiredSize", "maxSize")}
            want = {k: expected[k] for k in have}
            if have != want:
                problems.append(f"node group {name!r} scales {have}, but prepare-environment resets it to {want}")
        elif what in ("subnetTag", "clusterTag", "nodeGroupTag"):
            type_ = {"subnetTag": "aws:ec2/subnet:Subnet", "clusterTag": "aws:eks/cluster:Cluster",
                     "nodeGroupTag": "aws:eks/nodeGroup:NodeGroup"}[what]
            vpc = str(plan.outputs.get("vpcId", ""))
            owners = [r for r in _of_type(plan, type_) if type_ != "aws:ec2/subnet:Subnet" or _vpc_of(plan)(r) == vpc]
            lacking = [r.name for r in owners if (r.inputs.get("tags") or {}).get(name) != cluster]
            if lacking or not owners:
                problems.append(f"{', '.join(lacking) or type_} lack the tag {name}={cluster} (eksctl's)")
        elif what == "nodeRoleName":
            roles = {str(r.outputs.get("arn")): r for r in _of_type(plan, "aws:iam/role:Role")}
            for g in groups.values():
                role = roles.get(str(g.inputs.get("nodeRoleArn")))
                role_name = str(role.outputs.get("name")) if role else ""
                if not fnmatchcase(role_name, name):
                    problems.append(f"node group {g.inputs.get('nodeGroupName')}'s role {role_name!r} is not named "
                                    f"{name} (the access-management lab finds it so)")
        elif what == "nodeInstanceName":
            templates = {r.id: r for r in _of_type(plan, "aws:ec2/launchTemplate:LaunchTemplate")}
            template = templates.get(str((group.inputs.get("launchTemplate") or {}).get("id"))) if group else None
            names = [(s.get("tags") or {}).get("Name") for s in (template.inputs.get("tagSpecifications") or [])
                     if s.get("resourceType") == "instance"] if template else []
            if names != [name]:
                problems.append(f"the default group's instances are named {names or 'nothing'}, not {name!r}")
    return problems


def environment_problems(plan: Plan, cluster: str) -> list[str]:
    """What the labs need of the cluster, the nodes and the IDE, and what they install themselves."""
    problems = []
    clusters = _of_type(plan, "aws:eks/cluster:Cluster")
    if not clusters:
        return ["no EKS cluster"]
    control_plane = clusters[0]
    if str(control_plane.inputs.get("version")) != labs.kubernetes_version():
        problems.append(f"Kubernetes {control_plane.inputs.get('version')}, but the labs are written for "
                        f"{labs.kubernetes_version()} (cluster.version)")
    expected_release = str(labs.node_group()["releaseVersion"])
    for g in _of_type(plan, "aws:eks/nodeGroup:NodeGroup"):
        release = str(g.inputs.get("releaseVersion", ""))
        if release.split(".")[:2] != expected_release.split(".")[:2]:
            problems.append(f"node group {g.inputs.get('nodeGroupName')} runs AMI release {release}, not of the "
                            f"workshop's {'.'.join(expected_release.split('.')[:2])} series ({expected_release})")
    installed = {str(r.inputs.get("addonName")) for r in _of_type(plan, "aws:eks/addon:Addon")}
    for addon in labs.labs_install()["addons"]:
        if addon in installed:
            problems.append(f"the {addon} add-on exists, but the labs create it themselves (addons)")
    if labs.labs_install()["controlPlaneLogging"]:
        if control_plane.inputs.get("enabledClusterLogTypes"):
            problems.append("control-plane logging is on, but the labs switch it on themselves (cluster.logTypes)")
        if "enabledClusterLogTypes" not in control_plane.ignore_changes:
            problems.append("`up` would revert the labs' control-plane logging (cluster.manageLogTypes)")
    hops = labs.node_metadata_hop_limit()
    for t in _of_type(plan, "aws:ec2/launchTemplate:LaunchTemplate"):
        have = (t.inputs.get("metadataOptions") or {}).get("httpPutResponseHopLimit")
        if have is None or int(have) < hops:
            problems.append(f"launch template {t.name} has IMDS hop limit {have if have is None else int(have)}: "
                            "the labs' controllers read "
                            f"instance metadata from pods, which needs {hops} (nodeGroups.*.metadataHopLimit)")
    problems += _ide_problems(plan, cluster)
    return problems


def _ide_problems(plan: Plan, cluster: str) -> list[str]:
    """The IDE role has the labs' permissions, exactly as the table renders them, and cluster-admin."""
    policies = [r for r in _of_type(plan, "aws:iam/policy:Policy") if r.name.startswith("ide-labs-")]
    statements = [s for p in policies if isinstance(p.inputs.get("policy"), str)
                  for s in json.loads(p.inputs["policy"])["Statement"]]
    account, partition = _account_and_partition(plan)
    wanted = [s for d in labs.lab_policy_documents(cluster, str(plan.outputs.get("region", "")))
              for s in json.loads(labs.fill(d, account, partition))["Statement"]]
    problems = []
    if sorted(statements, key=lambda s: s["Sid"]) != sorted(wanted, key=lambda s: s["Sid"]):
        problems.append(f"the IDE role's lab policies hold {len(statements)} statements, not the "
                        f"{len(wanted)} of the workshop's lab IAM policies")
    attached = {str(r.inputs.get("policyArn")) for r in _of_type(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    if any(str(p.outputs.get("arn")) not in attached for p in policies):
        problems.append("a lab policy is not attached to the IDE role")
    # kubectl, helm and the labs' Terraform act on the cluster as the IDE role: cluster-admin.
    role = next((r for r in _of_type(plan, "aws:iam/role:Role") if r.name == "ide-role"), None)
    admins = {str(r.inputs.get("principalArn")) for r in _of_type(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
              if str(r.inputs.get("policyArn", "")).endswith("/AmazonEKSClusterAdminPolicy")}
    if role is None or str(role.outputs.get("arn")) not in admins:
        problems.append("the IDE role is not cluster-admin (an access entry with AmazonEKSClusterAdminPolicy)")
    return problems


def _account_and_partition(plan: Plan) -> tuple[str, str]:
    """From the cluster's ARN; in a preview it is unknown, and so is the account (the stack's pinned one is
    what a real `up` makes it): then `*` and `aws`, as a policy pattern reads them."""
    arn = next((str(r.outputs.get("arn")) for r in _of_type(plan, "aws:eks/cluster:Cluster")), "")
    parts = arn.split(":")
    return (parts[4], parts[1]) if len(parts) > 5 and parts[0] == "arn" else ("*", "aws")


def verdict(plan: Plan, cluster: str) -> LabsVerdict:
    source = labs.source()
    missing = lookup_problems(plan, cluster) + name_problems(plan, cluster) + environment_problems(plan, cluster)
    return LabsVerdict(repository=source.repository, ref=source.ref, commit=source.commit,
                       committed=source.committed, missing=missing)
