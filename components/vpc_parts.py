"""Pieces every VPC of this program is built from: an emptied default security group, flow logs, and
the route table that sends public subnets to an internet gateway."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy
from components.logs import retained_log_group


def empty_default_security_group(name: str, vpc_id: pulumi.Input[str], tags: Mapping[str, str],
                                 parent: pulumi.Resource) -> aws.ec2.DefaultSecurityGroup:
    """Adopting the default security group with no rules empties it: nothing can use it by accident."""
    return aws.ec2.DefaultSecurityGroup(
        name, vpc_id=vpc_id, ingress=[], egress=[], tags=dict(tags), opts=pulumi.ResourceOptions(parent=parent))


def flow_log_group_name(vpc_name: str) -> str:
    """The CloudWatch group a VPC's flow logs go to (the log encryption key names it too)."""
    return f"/aws/vpc/{vpc_name}/flow-logs"


def flow_log_role_policy(group_arn: str) -> str:
    """The actions the VPC Flow Logs guide lists for publishing to CloudWatch Logs, on this group only;
    DescribeLogGroups has no resource type (IAM's service authorization reference: it takes only "*"; a
    group ARN would grant nothing), so it stands alone on "*": it lists groups, it reads none of them."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "WriteThisGroup", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
             "Resource": [group_arn, f"{group_arn}:*"]},
            {"Sid": "FindTheGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ],
    })


def flow_log_trust_policy(group_arn: str) -> str:
    """VPC Flow Logs may assume the role only for this account's flow logs in this region (the guide's
    confused-deputy conditions); the partition, region and account are the group's."""
    partition, region, account = group_arn.split(":")[1], group_arn.split(":")[3], group_arn.split(":")[4]
    return service_trust_policy(["vpc-flow-logs.amazonaws.com"], source_account=account,
                                source_arn=f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*")


def vpc_flow_logs(name: str, vpc_id: pulumi.Input[str], vpc_name: str, retention_days: int,
                  tags: Mapping[str, str], parent: pulumi.Resource,
                  kms_key_arn: pulumi.Input[str] | None = None, protect: bool = False) -> aws.ec2.FlowLog:
    """All traffic of a VPC to its own CloudWatch group (encrypted with `kms_key_arn` if given; kept on
    destroy and adopted on rebuild, protected with `protect`, as audit data), through a role that can
    write only there."""
    child = pulumi.ResourceOptions(parent=parent)
    group = retained_log_group(name, flow_log_group_name(vpc_name), retention_days, kms_key_arn, tags, parent,
                               protect=protect)
    role = aws.iam.Role(name, assume_role_policy=group.arn.apply(flow_log_trust_policy), tags=dict(tags), opts=child)
    aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=group.arn.apply(flow_log_role_policy),
        opts=child,
    )
    return aws.ec2.FlowLog(name, vpc_id=vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                           log_destination=group.arn, iam_role_arn=role.arn, tags=dict(tags), opts=child)


def internet_route_table(name: str, vpc_id: pulumi.Input[str], igw_tags: Mapping[str, str],
                         table_tags: Mapping[str, str], parent: pulumi.Resource
                         ) -> tuple[aws.ec2.InternetGateway, aws.ec2.RouteTable]:
    """An internet gateway and a route table whose default route goes to it, named `<name>-igw`,
    `<name>-public` and `<name>-public-default`; public subnets are associated by the caller."""
    child = pulumi.ResourceOptions(parent=parent)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc_id, tags=dict(igw_tags), opts=child)
    table = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc_id, tags=dict(table_tags), opts=child)
    aws.ec2.Route(f"{name}-public-default", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                  gateway_id=igw.id, opts=child)
    return igw, table
