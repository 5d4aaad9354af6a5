"""What the EKS workshop's labs need of `dev`: one recorded table, `workshop/workshop_labs.json`, read here.

The table restates, as data, what the public workshop (aws-samples/eks-workshop-v2) expects of the
environment it runs in, at the commit it names: the Kubernetes minor and node group of its
`cluster/eksctl/cluster.yaml`, the scripts its IDE template runs and as whom, the IAM permissions its
IDE role gets, the tag and name lookups its labs' Terraform makes, and what the labs install
themselves. `scripts/refresh_workshop_labs.py` re-reads the mechanical parts from a checkout and shows
the difference; the program, the plan's `labs:` line and the tests read this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workshop.iam_policy import (
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_CHARACTERS,
    StatementTooLarge,
    first_fit,
)
from workshop.iam_policy import document as iam_document

TABLE_FILE = Path(__file__).resolve().parent / "workshop_labs.json"

# The table's placeholders in IAM policy text. `account` and `partition` stay in the documents until the
# component knows them (the caller's account, the provider's partition); `${AccountId}` is as long as an
# account ID, so a document's size is known before the account is.
PLACEHOLDERS = {"account": "${AccountId}", "partition": "${Partition}", "region": "${Region}",
                "cluster": "${ClusterName}"}

# The AWS-managed policies the IDE role has besides the lab policies: Session Manager, as the workshop's.
IDE_AWS_MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore",)
IDE_LAB_POLICY_ROOM = MANAGED_POLICIES_PER_ROLE - len(IDE_AWS_MANAGED_POLICIES)


@cache
def table(path: Path = TABLE_FILE) -> Mapping[str, Any]:
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Source:
    repository: str
    ref: str
    commit: str
    committed: str


def source() -> Source:
    s = table()["source"]
    return Source(repository=s["repository"], ref=s["ref"], commit=s["commit"], committed=s["committed"])


class LabPoliciesTooLarge(ValueError):
    """The workshop's lab permissions need more managed policies than the role has room for."""


def _statements(cluster: str, region: str) -> list[dict[str, Any]]:
    """Every lab statement in the table's order, cluster and region filled in, each with a Sid naming the
    table policy and position it comes from (`Labs1Stmt3`), so a rendered policy traces to the table."""
    out = []
    for name, document in table()["iamPolicies"].items():
        for i, statement in enumerate(document["Statement"]):
            text = json.dumps(statement).replace(PLACEHOLDERS["cluster"], cluster).replace(PLACEHOLDERS["region"], region)
            out.append({"Sid": f"{name.title()}Stmt{i}", **json.loads(text)})
    return out


def lab_policy_documents(cluster: str, region: str, room: int = IDE_LAB_POLICY_ROOM) -> list[str]:
    """The lab permissions packed into as few managed policy documents as fit IAM's size limit, first
    fit in the table's order; `${AccountId}` and `${Partition}` left for the component to fill in.
    Raises LabPoliciesTooLarge when they need more than `room` policies or one statement alone is too big.
    Packed once per table, cluster and region (the config check, the component and the plan's verdict ask)."""
    current = table()
    key = (cluster, region, room)
    kept = _PACKED.get(key)
    if kept is None or kept[0] is not current:
        kept = _PACKED[key] = (current, _pack(cluster, region, room))
    return list(kept[1])


# (cluster, region, room) -> (the table packed, its documents): a table read anew is packed anew.
_PACKED: dict[tuple[str, str, int], tuple[Mapping[str, Any], tuple[str, ...]]] = {}


def _pack(cluster: str, region: str, room: int) -> tuple[str, ...]:
    statements = _statements(cluster, region)
    try:
        documents = first_fit(statements)
    except StatementTooLarge as e:
        raise LabPoliciesTooLarge(str(e)) from None
    if len(documents) > room:
        raise LabPoliciesTooLarge(
            f"the workshop's lab permissions ({len(statements)} statements) need "
            f"{len(documents)} managed policies of at most {MANAGED_POLICY_CHARACTERS} characters, but the role "
            f"has room for {room} ({MANAGED_POLICIES_PER_ROLE} per role, IAM's default quota, less those it "
            f"already has)")
    return tuple(json.dumps(iam_document(d), separators=(",", ":")) for d in documents)


def fill(document: str, account: str, partition: str) -> str:
    """A packed document with the account and partition (what the IDE component does with the ones it finds)."""
    return document.replace(PLACEHOLDERS["account"], account).replace(PLACEHOLDERS["partition"], partition)


@dataclass(frozen=True)
class IdeScript:
    """One step of the workshop's IDE template: a script of the workshop repository and who runs it."""

    path: str
    user: str  # "root" or "ide" (the IDE user, ec2-user)
    how: str  # "source" (into the bootstrap's own shell) or "run"


def ide_scripts() -> list[IdeScript]:
    return [IdeScript(path=s["path"], user=s["user"], how=s["how"]) for s in table()["ide"]["scripts"]]


@dataclass(frozen=True)
class Lookup:
    """A lookup the labs' Terraform makes by EC2 filters, and which of the stack's resources it must find."""

    data_source: str  # aws_vpc, aws_subnets, aws_subnet, aws_route_tables, aws_nat_gateways
    filters: Mapping[str, str]  # `tag:<key>` -> case-sensitive glob (`${ClusterName}` for the cluster's name)
    in_cluster_vpc: bool  # also filtered by vpc-id to the VPC the VPC lookup finds
    expects: str  # vpc | private-subnets | public-subnets | first-private-subnet | cluster-subnets | route-tables | nat-gateways
    files: tuple[str, ...]  # the lab files making it (module:file)

    def tag_filters(self, cluster: str) -> dict[str, str]:
        """The tag filters with the cluster's name filled in (other filters, such as a NAT gateway's
        `state`, hold for anything the stack creates)."""
        return {k.removeprefix("tag:"): v.replace(PLACEHOLDERS["cluster"], cluster)
                for k, v in self.filters.items() if k.startswith("tag:")}


def lookups() -> list[Lookup]:
    return [Lookup(data_source=x["dataSource"], filters=x["filters"], in_cluster_vpc=x["inClusterVpc"],
                   expects=x["expects"], files=tuple(x["files"]))
            for x in table()["lookups"]["byFilters"]]


def named_expectations() -> list[Mapping[str, str]]:
    """What the labs find by name: the node group, eksctl's cluster tag, the node role, the node instances."""
    return list(table()["lookups"]["byName"])


def labs_install() -> Mapping[str, Any]:
    """What the labs create or change themselves, which dev must not own."""
    return table()["labsInstall"]


def node_group() -> Mapping[str, Any]:
    """The workshop's default managed node group (name, sizes, AMI release), as setup.sh and
    reset-environment expect it."""
    return table()["cluster"]["nodeGroup"]


def auto_cluster() -> Mapping[str, Any] | None:
    """The fastpath labs' Auto Mode cluster (cluster-auto.yaml): nameSuffix, version, vpcCidr, nodePools,
    endpoints; None where the workshop has none."""
    return table().get("autoCluster")


def kubernetes_version() -> str:
    return str(table()["cluster"]["version"])


def node_metadata_hop_limit() -> int:
    return int(table()["nodes"]["metadataHopLimit"])


def ide_environment() -> Sequence[str]:
    """The variables the workshop's IDE scripts read, which the bootstrap sets."""
    return tuple(table()["ide"]["environment"])
