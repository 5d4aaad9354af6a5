"""An EKS managed node group on a hardened launch template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.options import inherited_depends_on
from workshop.config import Taint


@dataclass(frozen=True)
class ManagedNodeGroupArgs:
    cluster_name: pulumi.Input[str]  # the cluster's name output (the group waits for it)
    kubernetes_version: str  # nodeGroups.<name>.version (resolved)
    node_group_name: str  # the key of nodeGroups
    physical_name: str | None  # the EKS name: the key, or None for Pulumi's nodes-<key>-<random> (generatedName)
    node_role_arn: pulumi.Input[str]  # the NodeRole's ARN
    subnet_ids: pulumi.Input[Sequence[str]]  # the Network's private subnets
    instance_types: Sequence[str]  # nodeGroups.<name>.instanceTypes
    min_size: int  # nodeGroups.<name>.minSize
    desired_size: int  # nodeGroups.<name>.desiredSize (ignored after create)
    max_size: int  # nodeGroups.<name>.maxSize
    ami_type: str  # nodeGroups.<name>.amiType
    release_version: str  # nodeGroups.<name>.releaseVersion (resolved)
    max_unavailable_percentage: int  # nodeGroups.<name>.maxUnavailablePercentage
    disk_size: int  # nodeGroups.<name>.diskSize
    capacity_type: str  # nodeGroups.<name>.capacityType
    labels: Mapping[str, str] = field(default_factory=dict)  # nodeGroups.<name>.labels
    taints: Sequence[Taint] = ()  # nodeGroups.<name>.taints
    tags: Mapping[str, str] = field(default_factory=dict)  # the workshop tags plus eks-workshop:tags
    # nodeGroups.<name>.metadataHopLimit. 1: only processes in the host's network namespace reach
    # instance metadata (and the node role's credentials); pods on the pod network can't.
    metadata_hop_limit: int = 1


# Every AMI family offered (AL2023, AL2) boots from xvda.
ROOT_DEVICE = "/dev/xvda"


class ManagedNodeGroup(pulumi.ComponentResource):
    def __init__(self, name: str, args: ManagedNodeGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:nodes:ManagedNodeGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}",
            description=f"Node group {args.node_group_name}: IMDSv2 only, encrypted gp3 root volume",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.metadata_hop_limit,
            ),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=args.disk_size,
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags={**args.tags, "Name": f"{args.node_group_name}-node"})
                for kind in ("instance", "volume")
            ],
            update_default_version=True,
            tags=dict(args.tags),
            opts=child,
        )

        self.node_group = aws.eks.NodeGroup(
            f"{name}",
            cluster_name=args.cluster_name,
            # An explicit name makes every replacement delete-first (two groups can't share it).
            node_group_name=args.physical_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=args.subnet_ids,
            version=args.kubernetes_version,
            release_version=args.release_version,
            ami_type=args.ami_type,
            capacity_type=args.capacity_type,
            instance_types=list(args.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(
                max_unavailable_percentage=args.max_unavailable_percentage),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id,
                version=self.launch_template.latest_version.apply(str),
            ),
            labels=dict(args.labels),
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=t.effect)
                    for t in args.taints],
            tags=dict(args.tags),
            # The cluster autoscaler or Karpenter owns the node count once the group exists; nodes
            # must not boot before what the component waits for (vpc-cni, the node role's policies).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"],
                                        depends_on=inherited_depends_on(opts)),
        )

        self.name = self.node_group.node_group_name
        self.register_outputs({"nodeGroupName": self.name, "arn": self.node_group.arn})
