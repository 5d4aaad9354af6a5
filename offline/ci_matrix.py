"""The CI matrix of stacks: every `Pulumi.<stack>.yaml` with its region, the runner its API is reachable
from, and its policy config, for the pull-request workflow's `pulumi preview` of each.

    venv/bin/python -m offline.ci_matrix >> "$GITHUB_OUTPUT"               (prints `matrix=<json>`)
    venv/bin/python -m offline.ci_matrix --stack dev >> "$GITHUB_OUTPUT"   (one stack: `region=`, `policyConfig=`)

- region: the stack file's `aws:region` (the credentials are assumed there);
- runner: GitHub-hosted where the deployers are anywhere (`cluster.deployerCidrs` is 0.0.0.0/0, the
  default), else the self-hosted deploy runners (`eks-workshop-deployer`), whose egress the stack admits;
- policyConfig: `policies/config/<stack>.json`, else `policies/config/default.json`, as `make plan` picks it.
"""

from __future__ import annotations

import argparse
import json
import sys

from offline.analyzer import policy_config_path
from workshop.project import PROJECT, ROOT, StackFileError, load_stack_config, stacks

HOSTED = '"ubuntu-latest"'
SELF_HOSTED = '["self-hosted", "eks-workshop-deployer"]'
ANYWHERE = ["0.0.0.0/0"]


def rows(root=ROOT) -> list[dict[str, str]]:
    out = []
    for stack in stacks(root):
        config = load_stack_config(stack, root)
        cluster = config.get(f"{PROJECT}:cluster") or {}
        deployers = cluster.get("deployerCidrs", ANYWHERE) if isinstance(cluster, dict) else ANYWHERE
        out.append({"stack": stack, "region": str(config.get("aws:region", "")),
                    "runner": HOSTED if deployers == ANYWHERE else SELF_HOSTED,
                    "policyConfig": str(policy_config_path(stack).relative_to(ROOT))})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="one stack's row as key=value lines (the deploy workflow)")
    args = parser.parse_args(argv)
    try:
        return _print(args.stack)
    except StackFileError as e:  # make plan reports it with the rest of that stack's problems
        print(f"error: {e}", file=sys.stderr)
        return 2


def _print(stack: str | None) -> int:
    """The matrix, or one stack's row."""
    if stack is None:
        print("matrix=" + json.dumps({"include": rows()}, separators=(",", ":")))
        return 0
    row = next((r for r in rows() if r["stack"] == stack), None)
    if row is None:
        print(f"error: no Pulumi.{stack}.yaml (stacks here: {', '.join(stacks())})", file=sys.stderr)
        return 2
    print(f"region={row['region']}\npolicyConfig={row['policyConfig']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
