"""The identity EKS Hybrid Nodes join with, as eksctl creates it for `remoteNetworkConfig`
(pkg/cfn/builder/iam.go, cluster.go): an IAM role for the on-premises machines and its HYBRID_LINUX
access entry.

- SSM (eksctl's default): the role is assumed through SSM hybrid activations, which the operator
  creates for it (`aws ssm create-activation --iam-role <role name>`); trusted by ssm.amazonaws.com
  for this account's activations in this region only (the EKS guide's conditions).
- IRA: IAM Roles Anywhere: a trust anchor from the CA bundle of the machines' certificates, a profile,
  and the role trusted by rolesanywhere.amazonaws.com for that anchor only, with the session named
  after the certificate's CN (the EKS guide's conditions).
- An existing role (`roleArn`): only the access entry.

Either role may pull images (AmazonEC2ContainerRegistryPullOnly), run the SSM agent
(AmazonSSMManagedInstanceCore), describe its cluster, and deregister and look up managed instances
(nodeadm's upgrade and uninstall).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.iam import attach_managed_policies

MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryPullOnly")


@dataclass(frozen=True)
class HybridNodesArgs:
    """The identity EKS Hybrid Nodes join with. `provider` has no default: wiring passes the config's.

    Attributes:
        cluster_name: the cluster's name output: the access entry waits for the cluster.
        cluster_arn: the cluster's ARN; the role may describe that cluster only.
        region: `aws:region`: the SSM activations the trust names are this region's.
        provider: `cluster.remoteNetworks.iam.provider`: SSM (hybrid activations) or IRA (IAM Roles Anywhere).
        role_arn: `cluster.remoteNetworks.iam.roleArn`: an existing role; then only its access entry is
            created. Default: "", a role is created.
        ca_bundle: `cluster.remoteNetworks.iam.caBundle`: the PEM bundle IRA's trust anchor trusts.
            Default: "".
        tags: the workshop tags plus `eks-workshop:tags`. Default: none.
    """

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    region: str
    provider: str
    role_arn: str = ""
    ca_bundle: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


class HybridNodes(pulumi.ComponentResource):
    """The identity on-premises machines join the cluster with (`eks-workshop:hybrid:HybridNodes`): unless
    a role is given, an IAM role trusted by this account's SSM hybrid activations in the region, or by
    an IAM Roles Anywhere trust anchor and profile for the given CA bundle, with the ECR pull, SSM agent
    and describe-this-cluster permissions nodeadm needs; and the role's HYBRID_LINUX access entry,
    after the cluster. Output: `role_arn`."""

    def __init__(self, name: str, args: HybridNodesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:hybrid:HybridNodes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.role_arn:
            self.role_arn: pulumi.Output[str] = pulumi.Output.from_input(args.role_arn)
        else:
            self.role_arn = self._role(name, args, child)
        self.access_entry = aws.eks.AccessEntry(
            f"{name}-access", cluster_name=args.cluster_name, principal_arn=self.role_arn, type="HYBRID_LINUX",
            tags=dict(args.tags), opts=child)
        self.register_outputs({"roleArn": self.role_arn})

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
        attach_managed_policies(role, f"{name}-role", MANAGED_POLICIES, self)
        aws.iam.RolePolicy(
            f"{name}-role", role=role.id,
            policy=pulumi.Output.all(args.cluster_arn, partition.partition).apply(
                lambda a: json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Sid": "DescribeItsCluster", "Effect": "Allow", "Action": "eks:DescribeCluster",
                     "Resource": a[0]},
                    # nodeadm uninstall and upgrade deregister the machine and look it up
                    {"Sid": "ManageItsRegistration", "Effect": "Allow",
                     "Action": ["ssm:DeregisterManagedInstance", "ssm:DescribeInstanceInformation"],
                     "Resource": "*"},
                ]})),
            opts=child)
        if anchor is not None:
            aws.rolesanywhere.Profile(f"{name}-profile", name=f"{name}-profile", enabled=True, role_arns=[role.arn],
                                      tags=dict(args.tags), opts=child)
        return role.arn


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
