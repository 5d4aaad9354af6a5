"""The identity EKS Hybrid Nodes join with, as the EKS user guide ("Prepare credentials for hybrid
nodes") and eksctl (pkg/cfn/builder/iam.go) create it for `remoteNetworkConfig`: an IAM role for the
on-premises machines and its HYBRID_LINUX access entry.

- SSM (eksctl's default): the role is assumed through SSM hybrid activations, which the operator
  creates tagged `EKSClusterARN` with this cluster's ARN (`aws ssm create-activation --tags …`,
  docs/hybrid-nodes.md); trusted by ssm.amazonaws.com for this account's activations in this region.
- IRA: IAM Roles Anywhere: a trust anchor from the CA bundle of the machines' certificates, a profile
  that accepts the role session name nodeadm always sends (the node's name), and the role trusted by
  rolesanywhere.amazonaws.com for that anchor only, with the session named after the certificate's CN.
- An existing role (`roleArn`): only the access entry.

What the role may do, each statement with who needs it (ROLE_STATEMENTS' Sids):
- pull images (AmazonEC2ContainerRegistryPullOnly), describe its cluster, and list its access entries
  (`nodeadm init`'s cluster-access-validation, aws/eks-hybrid internal/node/hybrid/hybrid_role_validator.go);
- SSM only: run the SSM agent (AmazonSSMManagedInstanceCore), look up managed instances, and deregister
  only managed instances tagged with this cluster's ARN (nodeadm's upgrade and uninstall);
- where the stack runs the pod identity agent: get pods' credentials (eks-auth:AssumeRoleForPodIdentity).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import attach_managed_policies

MANAGED_POLICIES = {"SSM": ("AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryPullOnly"),
                    "IRA": ("AmazonEC2ContainerRegistryPullOnly",)}
# The tag the EKS user guide puts on hybrid activations (and so on the machines registered with them).
ACTIVATION_TAG = "EKSClusterARN"


@dataclass(frozen=True)
class HybridNodesArgs:
    """The identity EKS Hybrid Nodes join with. `provider` has no default: wiring passes the config's.

    Attributes:
        cluster_name: the cluster's name output: the access entry waits for the cluster.
        cluster_arn: the cluster's ARN; the role may describe that cluster only, and deregister only the
            machines whose activation is tagged with it.
        region: `aws:region`: the SSM activations the trust names are this region's.
        provider: `cluster.remoteNetworks.iam.provider`: SSM (hybrid activations) or IRA (IAM Roles Anywhere).
        role_arn: `cluster.remoteNetworks.iam.roleArn`: an existing role; then only its access entry is
            created. Default: "", a role is created.
        ca_bundle: `cluster.remoteNetworks.iam.caBundle`: the PEM bundle IRA's trust anchor trusts.
            Default: "".
        pod_identity: the stack runs the pod identity agent (its hybrid DaemonSet gets pods' credentials
            with the node's role). Default: False.
        tags: the workshop tags plus `eks-workshop:tags`. Default: none.
    """

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    region: str
    provider: str
    role_arn: str = ""
    ca_bundle: str = ""
    pod_identity: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class HybridNodes(pulumi.ComponentResource):
    """The identity on-premises machines join the cluster with (`eks-workshop:hybrid:HybridNodes`): unless
    a role is given, an IAM role trusted by this account's SSM hybrid activations in the region, or by an
    IAM Roles Anywhere trust anchor and profile for the given CA bundle, with what nodeadm and the node need
    (module docstring); and the role's HYBRID_LINUX access entry, after the cluster. Outputs: `role_arn`;
    IRA: `trust_anchor_arn`, `profile_arn`."""

    def __init__(self, name: str, args: HybridNodesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:hybrid:HybridNodes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.trust_anchor_arn: pulumi.Output[str] | None = None
        self.profile_arn: pulumi.Output[str] | None = None
        if args.role_arn:
            self.role_arn: pulumi.Output[str] = pulumi.Output.from_input(args.role_arn)
        else:
            self.role_arn = self._role(name, args, child)
        self.access_entry = aws.eks.AccessEntry(
            f"{name}-access", cluster_name=args.cluster_name, principal_arn=self.role_arn, type="HYBRID_LINUX",
            tags=dict(args.tags), opts=child)
        self.register_outputs({"roleArn": self.role_arn, "trustAnchorArn": self.trust_anchor_arn,
                               "profileArn": self.profile_arn})

    def _role(self, name: str, args: HybridNodesArgs, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output()
        anchor = None
        if args.provider == "IRA":
            anchor = aws.rolesanywhere.TrustAnchor(
                f"{name}-anchor", name=f"{name}-anchor", enabled=True,
                source=aws.rolesanywhere.TrustAnchorSourceArgs(
                    source_type="CERTIFICATE_BUNDLE",
                    source_data=aws.rolesanywhere.TrustAnchorSourceSourceDataArgs(
                        x509_certificate_data=args.ca_bundle)),
                tags=dict(args.tags), opts=child)
            trust = anchor.arn.apply(roles_anywhere_trust)
        else:
            trust = pulumi.Output.all(partition.partition, identity.account_id).apply(
                lambda a: ssm_activation_trust(a[0], args.region, a[1]))
        role = aws.iam.Role(f"{name}-role", assume_role_policy=trust, tags=dict(args.tags), opts=child)
        attach_managed_policies(role, f"{name}-role", MANAGED_POLICIES[args.provider], self)
        aws.iam.RolePolicy(
            f"{name}-role", role=role.id,
            policy=pulumi.Output.all(args.cluster_arn, partition.partition, identity.account_id).apply(
                lambda a: json.dumps(role_policy(a[0], a[1], args.region, a[2], args.provider, args.pod_identity))),
            opts=child)
        if anchor is not None:
            # nodeadm always names the session after the node (its credential-process --role-session-name):
            # a profile that doesn't accept a custom session name gives no node credentials.
            profile = aws.rolesanywhere.Profile(
                f"{name}-profile", name=f"{name}-profile", enabled=True, role_arns=[role.arn],
                accept_role_session_name=True, tags=dict(args.tags), opts=child)
            self.trust_anchor_arn, self.profile_arn = anchor.arn, profile.arn
        return role.arn


def role_policy(cluster_arn: str, partition: str, region: str, account: str, provider: str,
                pod_identity: bool) -> dict:
    """The node role's own statements (module docstring), each scoped to this cluster where IAM allows."""
    statements: list[dict[str, Any]] = [
        {"Sid": "DescribeItsCluster", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": cluster_arn},
        # nodeadm init's cluster-access-validation: the role's HYBRID_LINUX entry must exist
        {"Sid": "ValidateItsAccessEntry", "Effect": "Allow", "Action": "eks:ListAccessEntries",
         "Resource": cluster_arn},
    ]
    if provider == "SSM":
        statements += [
            # nodeadm upgrade and uninstall: only machines registered through this cluster's activations
            {"Sid": "DeregisterItsMachines", "Effect": "Allow", "Action": "ssm:DeregisterManagedInstance",
             "Resource": f"arn:{partition}:ssm:{region}:{account}:managed-instance/*",
             "Condition": {"StringEquals": {f"ssm:resourceTag/{ACTIVATION_TAG}": cluster_arn}}},
            # the action has no resource type: IAM takes only "*" for it
            {"Sid": "LookUpMachines", "Effect": "Allow", "Action": "ssm:DescribeInstanceInformation",
             "Resource": "*"},
        ]
    if pod_identity:
        statements.append({"Sid": "PodIdentityOnHybridNodes", "Effect": "Allow",
                           "Action": "eks-auth:AssumeRoleForPodIdentity", "Resource": cluster_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def ssm_activation_trust(partition: str, region: str, account: str) -> str:
    """ssm.amazonaws.com, for this account's hybrid activations in this region (EKS user guide, "Prepare
    credentials for hybrid nodes")."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnEquals": {"aws:SourceArn": f"arn:{partition}:ssm:{region}:{account}:*"}}}]})


def roles_anywhere_trust(anchor_arn: str) -> str:
    """rolesanywhere.amazonaws.com for this trust anchor only, the session named after the certificate's
    CN (EKS user guide, "Prepare credentials for hybrid nodes")."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
         "Action": ["sts:TagSession", "sts:SetSourceIdentity"],
         "Condition": {"ArnEquals": {"aws:SourceArn": anchor_arn}}},
        {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"},
                       "ArnEquals": {"aws:SourceArn": anchor_arn}}},
    ]})
