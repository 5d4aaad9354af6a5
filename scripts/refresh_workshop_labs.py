"""Refresh workshop/workshop_labs.json from a checkout of the EKS workshop, and show what changed.

    python scripts/refresh_workshop_labs.py --checkout DIR [--ref stable] [--write]

DIR is a clone (bare or not) of aws-samples/eks-workshop-v2; everything is read with `git show REF:path`,
so the working tree is never consulted. Without --write the script prints a unified diff of the table
and exits 1 when the table would change (0 when it is current); with --write it rewrites the table.

What is read mechanically, restated in the table's own form:
- `source`: the commit REF resolves to and its date;
- `cluster`: `cluster/eksctl/cluster.yaml`'s Kubernetes version, the default managed node group's name,
  sizes and AMI release;
- `autoCluster`: `cluster/eksctl/cluster-auto.yaml`'s (the fastpath labs' Auto Mode cluster): version, VPC
  CIDR, node pools and endpoints (null where the ref has none);
- `iamPolicies`: `lab/iam/policies/*.yaml`, the IDE role's lab policies, with the template's
  substitutions as our placeholders (`{account}`, `{region}`, `{partition}`, `{cluster}`).
The rest of the table (the IDE's scripts, the lookups, what the labs install themselves) is kept as
it is: it records how the workshop's scripts and Terraform behave, which a reviewer reads and restates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.labs import PLACEHOLDERS, TABLE_FILE  # noqa: E402

POLICY_DIR = "lab/iam/policies"
CLUSTER_FILE = "cluster/eksctl/cluster.yaml"
AUTO_CLUSTER_FILE = "cluster/eksctl/cluster-auto.yaml"
# The workshop's CloudFormation substitutions and ours; `arn:aws:` is written with the partition.
SUBSTITUTIONS = {"${AWS::AccountId}": PLACEHOLDERS["account"], "${AWS::Region}": PLACEHOLDERS["region"],
                 "${Env}": PLACEHOLDERS["cluster"]}


class _Sub(str):
    """A `!Sub` string: substituted like the template's build does."""


def _sub(loader: yaml.SafeLoader, node: yaml.Node) -> _Sub:
    return _Sub(loader.construct_scalar(node))  # type: ignore[arg-type]


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!Sub", _sub)


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True).stdout


def restate(value: Any) -> Any:
    """A policy value with the workshop's substitutions as our placeholders. The build substitutes
    `${Env}` in every string (envsubst), the CloudFormation variables only inside `!Sub`."""
    if isinstance(value, dict):
        return {k: restate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restate(v) for v in value]
    if isinstance(value, str):
        text = value.replace("${Env}", SUBSTITUTIONS["${Env}"])
        if isinstance(value, _Sub):
            for theirs, ours in SUBSTITUTIONS.items():
                text = text.replace(theirs, ours)
        return re.sub(r"^arn:aws:", f"arn:{PLACEHOLDERS['partition']}:", text)
    return value


def read_policies(checkout: Path, ref: str) -> dict[str, Any]:
    names = sorted(Path(p).stem for p in git(checkout, "ls-tree", "--name-only", f"{ref}:{POLICY_DIR}").split()
                   if p.endswith(".yaml"))
    return {name: restate(yaml.load(git(checkout, "show", f"{ref}:{POLICY_DIR}/{name}.yaml"), Loader=_Loader))
            for name in names}


def read_cluster(checkout: Path, ref: str) -> dict[str, Any]:
    config = yaml.safe_load(git(checkout, "show", f"{ref}:{CLUSTER_FILE}"))
    group = config["managedNodeGroups"][0]
    return {
        "file": CLUSTER_FILE,
        "version": str(config["metadata"]["version"]),
        "nodeGroup": {"name": group["name"], "minSize": group["minSize"], "desiredSize": group["desiredCapacity"],
                      "maxSize": group["maxSize"], "releaseVersion": str(group["releaseVersion"])},
    }


def read_auto_cluster(checkout: Path, ref: str) -> dict[str, Any] | None:
    """The fastpath labs' Auto Mode cluster, where the ref has one."""
    if AUTO_CLUSTER_FILE not in git(checkout, "ls-tree", "-r", "--name-only", ref, "cluster/eksctl").split():
        return None
    config = yaml.safe_load(git(checkout, "show", f"{ref}:{AUTO_CLUSTER_FILE}"))
    endpoints = config.get("vpc", {}).get("clusterEndpoints", {})
    return {
        "file": AUTO_CLUSTER_FILE,
        "nameSuffix": str(config["metadata"]["name"]).replace("${EKS_CLUSTER_AUTO_NAME}", "-auto"),
        "version": str(config["metadata"]["version"]),
        "vpcCidr": config["vpc"]["cidr"],
        "nodePools": list(config["autoModeConfig"]["nodePools"]),
        "endpointPrivateAccess": bool(endpoints.get("privateAccess")),
        "endpointPublicAccess": bool(endpoints.get("publicAccess")),
    }


def refreshed(table: dict[str, Any], checkout: Path, ref: str) -> dict[str, Any]:
    commit = git(checkout, "rev-parse", f"{ref}^{{commit}}").strip()
    committed = git(checkout, "show", "-s", "--format=%cs", commit).strip()
    return {
        **table,
        "source": {**table["source"], "ref": ref, "commit": commit, "committed": committed,
                   "read": dt.date.today().isoformat()},
        "cluster": {**table.get("cluster", {}), **read_cluster(checkout, ref)},
        "autoCluster": read_auto_cluster(checkout, ref),
        "iamPolicies": read_policies(checkout, ref),
    }


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True, help="a clone of aws-samples/eks-workshop-v2")
    parser.add_argument("--ref", default="stable", help="the branch the IDE clones (default: stable)")
    parser.add_argument("--table", type=Path, default=TABLE_FILE, help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help="rewrite the table instead of showing the diff")
    args = parser.parse_args(argv)
    old = render(json.loads(args.table.read_text()))
    table = refreshed(json.loads(old), args.checkout, args.ref)
    # The read date alone is no change.
    table["source"]["read"] = json.loads(old)["source"]["read"] if _same_but_read(old, table) else table["source"]["read"]
    new = render(table)
    if args.write:
        args.table.write_text(new)
        print(f"wrote {args.table.relative_to(ROOT) if args.table.is_relative_to(ROOT) else args.table}")
        return 0
    diff = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     str(args.table.name), f"{args.table.name} at {args.ref}"))
    sys.stdout.writelines(diff)
    if diff:
        print(f"\n{len(diff)} diff lines: rerun with --write, then `make test` and `make docs`", file=sys.stderr)
    return 1 if diff else 0


def _same_but_read(old: str, table: dict[str, Any]) -> bool:
    before = json.loads(old)
    return {**before, "source": {**before["source"], "read": ""}} == {**table, "source": {**table["source"], "read": ""}}


if __name__ == "__main__":
    sys.exit(main())
