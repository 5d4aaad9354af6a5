"""The IAM role every managed node group's instances run as."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.iam import attach_managed_policies, service_trust_policy

# The CNI's permissions are deliberately absent: aws-node gets AmazonEKS_CNI_Policy through its own
# IRSA role (VpcCniAddon), so no pod on a node can use them through the instance profile.
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",  # Session Manager instead of SSH
)
# The nodes EKS Auto Mode launches (EKS user guide, "Amazon EKS Auto Mode node IAM role"): Auto Mode's
# nodes need no more (no SSH, no Session Manager: they are not logged into).
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")


class NodeRole(pulumi.ComponentResource):
    """The role every managed node group's instances run as (`eks-workshop:nodes:NodeRole`): trusted by
    EC2, with the worker node, ECR read-only and SSM managed-instance policies, and no CNI permissions
    (aws-node has its own IRSA role). One role for all groups: one access entry, one ARN for consumers.
    Outputs: `arn`, `attachments` (node groups wait for them).

    `name_prefix` (`eks-workshop:nodeRoleNamePrefix`): the role's name starts with it; "" (the default) lets
    Pulumi name it after `name`. `policies`: the AWS-managed policies, NODE_POLICIES for managed node
    groups (the default), AUTO_MODE_NODE_POLICIES for the nodes EKS Auto Mode launches."""

    def __init__(self, name: str, tags: Mapping[str, str], name_prefix: str = "",
                 policies: Sequence[str] = NODE_POLICIES, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:nodes:NodeRole", name, None, opts)
        self.role = aws.iam.Role(
            f"{name}",
            name_prefix=name_prefix or None,
            assume_role_policy=service_trust_policy(["ec2.amazonaws.com"]),
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Node groups must wait for these, or nodes boot without permission to join.
        self.attachments = attach_managed_policies(self.role, name, policies, self)
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})
