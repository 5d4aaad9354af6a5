"""The stack outputs other teams code against: one list, read by the tests and docs/outputs.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StackOutput:
    name: str
    type: str
    meaning: str
    secret: bool = False
    only_with: str = ""  # the config switch the output depends on, if any


OUTPUTS = (
    StackOutput("region", "string", "AWS region of the stack"),
    StackOutput("clusterName", "string", "EKS cluster name"),
    StackOutput("clusterEndpoint", "string", "Kubernetes API server URL (`https://…`)"),
    StackOutput("clusterArn", "string", "EKS cluster ARN"),
    StackOutput("clusterVersion", "string", "Kubernetes minor version (`1.35`)"),
    StackOutput("clusterSecurityGroupId", "string",
                "the security group EKS created for the control plane and managed nodes"),
    StackOutput("kubeconfig", "string (JSON)", "kubeconfig that gets tokens from `aws eks get-token`", secret=True),
    StackOutput("oidcProviderArn", "string", "IAM OIDC provider ARN, for IRSA trust policies"),
    StackOutput("oidcIssuerUrl", "string", "the cluster's OIDC issuer (`https://oidc.eks.<region>.amazonaws.com/id/…`)"),
    StackOutput("vpcId", "string", "cluster VPC ID"),
    StackOutput("publicSubnetIds", "list of string", "public subnets, one per zone, in zone order"),
    StackOutput("privateSubnetIds", "list of string", "private subnets (where nodes run), one per zone, in zone order"),
    StackOutput("nodeGroupNames", "list of string", "EKS managed node group names"),
    StackOutput("nodeRoleArn", "string", "IAM role of every managed node (one role shared by all groups)"),
    StackOutput("hybridNodesRoleArn", "string", "IAM role on-premises nodes join with (an SSM hybrid activation or "
                "a Roles Anywhere certificate for it; HYBRID_LINUX access entry)",
                only_with="cluster.remoteNetworks.nodes"),
    StackOutput("hybridNodesTrustAnchorArn", "string", "IAM Roles Anywhere trust anchor of the hybrid nodes' "
                "certificates (nodeadm's `hybrid.iamRolesAnywhere.trustAnchorArn`)",
                only_with="cluster.remoteNetworks.iam.provider: IRA"),
    StackOutput("hybridNodesProfileArn", "string", "IAM Roles Anywhere profile the hybrid nodes get credentials "
                "from (nodeadm's `hybrid.iamRolesAnywhere.profileArn`)",
                only_with="cluster.remoteNetworks.iam.provider: IRA"),
    StackOutput("ideUrl", "string", "the workshop IDE, `https://<distribution>.cloudfront.net`", only_with="ide.enabled"),
    StackOutput("idePasswordSecret", "string", "console link to the IDE password secret (the link, not the password)",
                only_with="ide.enabled"),
    StackOutput("idePasswordSecretName", "string", "Secrets Manager secret holding `{\"password\": …}`",
                only_with="ide.enabled"),
    StackOutput("ideRoleArn", "string", "IAM role of the IDE instance", only_with="ide.enabled"),
)


def expected_outputs(ide_enabled: bool, hybrid_nodes: bool = False, roles_anywhere: bool = False) -> set[str]:
    present = {"": True, "ide.enabled": ide_enabled, "cluster.remoteNetworks.nodes": hybrid_nodes,
               "cluster.remoteNetworks.iam.provider: IRA": hybrid_nodes and roles_anywhere}
    return {o.name for o in OUTPUTS if present[o.only_with]}


def outputs_table() -> str:
    lines = ["| output | type | secret | present | meaning |", "|---|---|---|---|---|"]
    for o in OUTPUTS:
        present = f"when `eks-workshop:{o.only_with}`" if o.only_with else "always"
        lines.append(f"| `{o.name}` | {o.type} | {'**yes**' if o.secret else 'no'} | {present} | {o.meaning} |")
    return "\n".join(lines)
