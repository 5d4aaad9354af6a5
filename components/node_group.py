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
    """One managed node group, `nodeGroups.<name>` of the stack config. No field has a default the config
    also has: wiring passes the config's value for each (workshop/config/model.py holds the defaults).

    Attributes:
        cluster_name: the cluster's name output: the group waits for the cluster.
        kubernetes_version: `nodeGroups.<name>.version`, resolved: the control plane's unless pinned.
        node_group_name: the key of `nodeGroups`.
        physical_name: the EKS name: the key, or None for Pulumi's `nodes-<key>-<random>` (`generatedName`),
            which lets a replacement create the new group before deleting the old.
        node_role_arn: the NodeRole's ARN.
        subnet_ids: the Network's private subnets.
        instance_types: `nodeGroups.<name>.instanceTypes`, first preferred.
        min_size: `nodeGroups.<name>.minSize`.
        desired_size: `nodeGroups.<name>.desiredSize`, at creation only (autoscalers own it afterwards).
        max_size: `nodeGroups.<name>.maxSize`.
        ami_type: `nodeGroups.<name>.amiType`.
        release_version: `nodeGroups.<name>.releaseVersion`, resolved from the catalogue.
        max_unavailable_percentage: `nodeGroups.<name>.maxUnavailablePercentage`, of a rolling update.
        disk_size: `nodeGroups.<name>.diskSize`, GiB of encrypted gp3.
        capacity_type: `nodeGroups.<name>.capacityType`.
        metadata_hop_limit: `nodeGroups.<name>.metadataHopLimit`. 1: only processes in the host's network
            namespace reach instance metadata (and the node role's credentials); pods on the pod network can't.
        auto_repair: `nodeGroups.<name>.autoRepair`: EKS node auto repair (nodeRepairConfig).
        labels: `nodeGroups.<name>.labels`. Default: none.
        taints: `nodeGroups.<name>.taints`. Default: none.
        tags: the workshop tags plus `eks-workshop:tags`. Default: none.
    """

    cluster_name: pulumi.Input[str]
    kubernetes_version: str
    node_group_name: str
    physical_name: str | None
    node_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    instance_types: Sequence[str]
    min_size: int
    desired_size: int
    max_size: int
    ami_type: str
    release_version: str
    max_unavailable_percentage: int
    disk_size: int
    capacity_type: str
    metadata_hop_limit: int
    auto_repair: bool
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


# Every AMI family offered (AL2023, AL2) boots from xvda.
ROOT_DEVICE = "/dev/xvda"


class ManagedNodeGroup(pulumi.ComponentResource):
    """An EKS managed node group (`eks-workshop:nodes:ManagedNodeGroup`) on its own launch template:
    IMDSv2 required with the configured hop limit, an encrypted gp3 root volume, tagged instances and
    volumes; scaling, AMI release, rolling-update limit, labels and taints from the args, `desiredSize`
    ignored after creation. Outputs: `name`, `launch_template`, `node_group`."""

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
            # Instances named as eksctl names them, `<cluster>-<group>-Node` (a workshop lab finds them so).
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags={**args.tags, "Name": pulumi.Output.concat(
                        args.cluster_name, "-", args.node_group_name, "-Node")})
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
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=args.auto_repair),
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
