"""IAM shared by the components: trust policies, AWS-managed policy ARNs, managed-policy attachments
and cluster-admin access entries."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pulumi
import pulumi_aws as aws


def managed_policy_arn(name: str) -> pulumi.Output[str]:
    """The ARN of an AWS-managed IAM policy in the stack's partition (aws, aws-cn, aws-us-gov)."""
    return aws.get_partition_output().partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{name}")


def eks_access_policy_arn(name: str) -> pulumi.Output[str]:
    """The ARN of an EKS access policy (`AmazonEKSClusterAdminPolicy`, ...) in the stack's partition."""
    return aws.get_partition_output().partition.apply(lambda p: f"arn:{p}:eks::aws:cluster-access-policy/{name}")


def service_trust_policy(services: Iterable[str], actions: Iterable[str] = ("sts:AssumeRole",),
                         source_account: str | None = None, source_arn: str | None = None) -> str:
    """A trust policy letting AWS services (`eks.amazonaws.com`, ...) assume a role. With `source_account`
    (and `source_arn`, a pattern) the service may assume it only on behalf of that account (and those
    resources): the confused-deputy guard, for services AWS documents as sending aws:SourceAccount and
    aws:SourceArn. A service that doesn't send them would be denied, so it is given only where documented."""
    statement: dict = {"Effect": "Allow", "Principal": {"Service": sorted(services)}, "Action": list(actions)}
    conditions: dict = {}
    if source_account:
        conditions["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def irsa_trust_policy(oidc_provider_arn: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str],
                      namespace: str, service_account: str) -> pulumi.Output[str]:
    """A trust policy for one Kubernetes service account through the cluster's OIDC provider (IRSA)."""

    def render(args: list[str]) -> str:
        arn, issuer = args
        host = issuer.removeprefix("https://")
        return json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{host}:aud": "sts.amazonaws.com",
                }},
            }],
        })

    return pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(render)


def attach_managed_policies(role: aws.iam.Role, prefix: str, policies: Iterable[str],
                            parent: pulumi.Resource) -> list[aws.iam.RolePolicyAttachment]:
    """Attach AWS-managed policies to `role`, one child resource each, named `<prefix>-<policy>`."""
    return [
        aws.iam.RolePolicyAttachment(
            f"{prefix}-{policy}",
            role=role.name,
            policy_arn=managed_policy_arn(policy),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for policy in policies
    ]


def cluster_admin_access(name: str, cluster_name: pulumi.Input[str], principal_arn: pulumi.Input[str],
                         tags: Mapping[str, str], parent: pulumi.Resource) -> aws.eks.AccessPolicyAssociation:
    """Cluster-admin for an IAM principal through an EKS access entry (both resources named `name`)."""
    child = pulumi.ResourceOptions(parent=parent)
    entry = aws.eks.AccessEntry(name, cluster_name=cluster_name, principal_arn=principal_arn, type="STANDARD",
                                tags=dict(tags), opts=child)
    return aws.eks.AccessPolicyAssociation(
        name,
        cluster_name=cluster_name,
        principal_arn=entry.principal_arn,
        policy_arn=eks_access_policy_arn("AmazonEKSClusterAdminPolicy"),
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        opts=child,
    )
