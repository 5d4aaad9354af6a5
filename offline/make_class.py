"""A workshop event's stacks: one stack file per participant, written from a template stack, each with its
own cluster name, VPC CIDR and IDE, spread over the given accounts so that every account's quotas hold.

    make class N=30 TEMPLATE=dev ACCOUNTS=111111111111,222222222222 [PREFIX=class]
    venv/bin/python -m offline.make_class --count 30 --template dev --accounts 111111111111,222222222222

Writes `Pulumi.<prefix>-01.yaml` … (the cluster is named `<prefix>-01`: no participant's name starts with
another's, so the labs' `<cluster>*` IAM scopes stay apart). Participants fill the accounts in order,
each as many as its quotas hold beside the stacks already there (offline/quotas.py, quotas/<account>.json);
a class that doesn't fit writes nothing and exits 2, saying how many accounts or which quota increases it
needs. The class then plans like any stacks (`make plan`).
"""

from __future__ import annotations

import argparse
import copy
import io
import ipaddress
import math
import re
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

from offline.across_stacks import ClusterIdentity, identities
from offline.quotas import Usage, check, defaults, raised, usage, usages
from workshop.project import PROJECT, ROOT, load_stack_file, stacks

ACCOUNT = re.compile(r"^\d{12}$")
PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
# Where participants' VPCs are carved: one /16 each, clear of every stack's networks in the account.
POOL = ipaddress.IPv4Network("10.64.0.0/10")


class ClassError(ValueError):
    """What stops a class before any file is written."""


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    return y


def _taken(found: list[ClusterIdentity], account: str, region: str) -> list[ipaddress.IPv4Network]:
    """Every network the stacks of `account` and `region` use (their VPCs and remote networks)."""
    out = []
    for ident in found:
        if ident.region == region and (ident.accounts is None or account in ident.accounts):
            for cidr in (ident.vpc_cidr, *ident.remote_nodes, *ident.remote_pods):
                try:
                    out.append(ipaddress.IPv4Network(cidr))
                except ValueError:
                    continue
    return out


def _free_vpc(taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    for net in POOL.subnets(new_prefix=16):
        if not any(net.overlaps(t) for t in taken):
            return net
    raise ClassError(f"no /16 left in {POOL} for another participant's VPC")


def participant_config(template: dict[str, Any], name: str, account: str, vpc: str) -> dict[str, Any]:
    config = copy.deepcopy(template)
    config["aws:allowedAccountIds"] = [account]
    config.setdefault(f"{PROJECT}:cluster", {})["name"] = name
    config.setdefault(f"{PROJECT}:network", {})["vpcCidr"] = vpc
    return config


def plan_class(root: Path, count: int, template: str, accounts: list[str], prefix: str) -> list[tuple[str, str, str]]:
    """(stack, account, VPC CIDR) per participant, or ClassError saying what the class needs."""
    problems = []
    if count < 1:
        problems.append(f"N={count}: a class has at least one participant")
    bad = [a for a in accounts if not ACCOUNT.match(a)]
    if not accounts or bad:
        problems.append(f"ACCOUNTS={','.join(accounts)}: give 12-digit AWS account IDs, comma-separated"
                        + (f" ({', '.join(bad)} is not one)" if bad else ""))
    if not PREFIX.match(prefix):
        problems.append(f"PREFIX={prefix!r}: lower-case letters, digits and '-', starting with a letter, at most 41")
    if template not in stacks(root):
        problems.append(f"TEMPLATE={template}: no Pulumi.{template}.yaml (stacks here: {', '.join(stacks(root))})")
    if problems:
        raise ClassError("; ".join(problems))
    width = max(2, len(str(count)))
    names = [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]
    existing = [n for n in names if (root / f"Pulumi.{n}.yaml").exists()]
    if existing:
        raise ClassError(f"Pulumi.{existing[0]}.yaml exists already: choose another PREFIX, or remove the old class")
    base = load_stack_file(template, root).config
    one = usage("x", participant_config(base, names[0], accounts[0], "10.64.0.0/16"))
    if one is None:
        raise ClassError(f"Pulumi.{template}.yaml is not a valid stack (make plan STACK={template} says why)")
    region = one.region
    others = usages(root)
    found = identities(root)
    placed: list[tuple[str, str, str]] = []
    fits: dict[str, int] = {}
    class_vpcs: list[ipaddress.IPv4Network] = []  # unique across the class: participants may meet at a gateway
    for account in accounts:
        taken = [*_taken(found, account, region), *class_vpcs]
        here: list[Usage] = []
        for name in names[len(placed):]:
            vpc = _free_vpc(taken)
            candidate = usage(name, participant_config(base, name, account, str(vpc)))
            assert candidate is not None
            errors, _ = check(root, [*others, *here, candidate])
            if errors:
                break
            here.append(candidate)
            taken.append(vpc)
            class_vpcs.append(vpc)
            placed.append((name, account, str(vpc)))
        fits[account] = len(here)
        others += here
    if len(placed) < count:
        raise ClassError(_what_it_needs(root, count, accounts, fits, one, region))
    return placed


def _what_it_needs(root: Path, count: int, accounts: list[str], fits: dict[str, int], one: Usage, region: str) -> str:
    """How many more accounts (at the default quotas), or which quotas to raise in the given ones."""
    held = sum(fits.values())
    per_fresh = min(int(q["default"]) // max(one.counts[code].get(region, 1) if q["scope"] == "region"
                                             else max(one.counts[code].values(), default=1), 1)
                    for code, q in defaults().items() if one.counts.get(code))
    more = math.ceil((count - held) / per_fresh) if per_fresh else None
    share = math.ceil(count / len(accounts))
    raises = []
    for code, q in defaults().items():
        need = max(one.counts[code].values(), default=0) * share if one.counts.get(code) else 0
        for account in accounts:
            limit = int(raised(root, account).get(region, {}).get(code, q["default"]))
            if need > limit:
                raises.append(f"{code} ({q['what']}) to {need}")
                break
    accounts_part = (f"{more} more accounts at the default quotas ({per_fresh} participants each)" if more
                     else "accounts with raised quotas")
    return (f"{count} participants don't fit: the accounts given hold {held} "
            f"({', '.join(f'{a}: {n}' for a, n in fits.items())}) beside the stacks already there. Add "
            f"{accounts_part}, or raise in each of the {len(accounts)} accounts ({share} participants each, "
            f"{region}): {', '.join(raises)}, and declare the raises in quotas/<account>.json")


def write_class(root: Path, template: str, placed: list[tuple[str, str, str]]) -> list[Path]:
    y = _yaml()
    source = root / f"Pulumi.{template}.yaml"
    written = []
    for i, (name, account, vpc) in enumerate(placed, start=1):
        data = y.load(source.read_text())
        config = data["config"]
        accounts = CommentedSeq([account])
        accounts.fa.set_flow_style()
        config["aws:allowedAccountIds"] = accounts
        config.ca.items.pop("aws:allowedAccountIds", None)  # the template's note on its own account
        config[f"{PROJECT}:cluster"]["name"] = name
        config.setdefault(f"{PROJECT}:network", {})["vpcCidr"] = vpc
        out = io.StringIO()
        y.dump(data, out)
        header = (f"# yaml-language-server: $schema=docs/stack-config.schema.json\n"
                  f"# {name}: participant {i} of {len(placed)} of a workshop event, written by `make class` from "
                  f"Pulumi.{template}.yaml (its comments below are the template's): its own cluster `{name}`, VPC "
                  f"{vpc} and IDE, in account {account}.\n")
        body = "\n".join(line for line in out.getvalue().splitlines() if not line.startswith("# yaml-language-server"))
        path = root / f"Pulumi.{name}.yaml"
        path.write_text(header + body + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="participants (N)")
    parser.add_argument("--template", default="dev", help="the stack each participant's is copied from")
    parser.add_argument("--accounts", required=True, help="comma-separated AWS account IDs to spread them over")
    parser.add_argument("--prefix", default="class", help="stack and cluster name prefix (default: class)")
    parser.add_argument("--root", type=Path, default=root, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    accounts = [a.strip() for a in args.accounts.split(",") if a.strip()]
    try:
        placed = plan_class(args.root, args.count, args.template, accounts, args.prefix)
    except ClassError as e:
        print(f"error: class: {e}", file=sys.stderr)
        return 2
    for path in write_class(args.root, args.template, placed):
        print(f"wrote {path.name}")
    by_account: dict[str, int] = {}
    for _, account, _ in placed:
        by_account[account] = by_account.get(account, 0) + 1
    print(f"{len(placed)} stacks: " + ", ".join(f"{n} in {a}" for a, n in by_account.items())
          + "; plan them with `make plan`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
