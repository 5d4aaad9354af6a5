"""What the preview and deploy roles must be allowed, derived from what the program does: the invokes it
makes (a `pulumi preview` runs every one of them) and the resource types it creates (an `up` creates,
updates and deletes them). A new invoke or type without its entry here fails the tests, so README's
list (generated between its markers by `make docs`) can't miss one again.

    venv/bin/python -m offline.iam_actions        (part of `make docs`)
"""

from __future__ import annotations

import sys
from pathlib import Path

from offline.resource_types import TYPES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- iam:start -->", "<!-- iam:end -->"

# The API actions behind each data source (pulumi-aws's getX wraps one AWS read; getPartition needs none).
INVOKE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:cloudwatch/getLogGroups:getLogGroups": ("logs:DescribeLogGroups",),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": ("ec2:DescribeManagedPrefixLists",
                                                          "ec2:GetManagedPrefixListEntries"),
    "aws:eks/getCluster:getCluster": ("eks:DescribeCluster",),
    "aws:eks/getClusters:getClusters": ("eks:ListClusters",),
    "aws:eks/getNodeGroup:getNodeGroup": ("eks:DescribeNodegroup",),
    "aws:eks/getNodeGroups:getNodeGroups": ("eks:ListNodegroups",),
    "aws:index/getAvailabilityZones:getAvailabilityZones": ("ec2:DescribeAvailabilityZones",),
    "aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",),
    "aws:index/getPartition:getPartition": (),
    "aws:ssm/getParameter:getParameter": ("ssm:GetParameter",),
}

# The IAM service of each pulumi-aws module the program creates resources from.
SERVICE_OF_MODULE = {"cloudfront": "cloudfront", "cloudwatch": "logs", "ec2": "ec2", "ec2transitgateway": "ec2",
                     "eks": "eks", "iam": "iam", "kms": "kms", "rolesanywhere": "rolesanywhere",
                     "secretsmanager": "secretsmanager", "vpc": "ec2"}


def service_of(type_: str) -> str | None:
    """The IAM service that manages an AWS resource type; None for what no AWS API creates (random
    values, Kubernetes objects, Pulumi's own)."""
    package, _, rest = type_.partition(":")
    return SERVICE_OF_MODULE[rest.partition("/")[0]] if package == "aws" else None


def preview_actions() -> list[str]:
    return sorted({a for actions in INVOKE_ACTIONS.values() for a in actions})


def deploy_services() -> list[str]:
    return sorted({s for t in TYPES if (s := service_of(t))})


def section() -> str:
    return "\n".join([
        "- **Preview role** (read only; `pulumi preview` runs every data source the program reads): "
        + ", ".join(f"`{a}`" for a in preview_actions()) + ", plus the state bucket and `kms:Decrypt` on the "
        "secrets provider's key.",
        "- **Deploy role**: create, update, delete and read the resources of "
        + ", ".join(f"`{s}`" for s in deploy_services()) + " (every service a resource type of the program "
        "belongs to), `iam:PassRole` for the roles it creates, the preview role's reads, and the state bucket "
        "and secrets key.",
    ])


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{section()}\n{END}{tail}"


def main() -> int:
    text = README.read_text()
    if START not in text:
        print(f"{README}: no {START} marker", file=sys.stderr)
        return 1
    README.write_text(render(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
