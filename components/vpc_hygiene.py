"""What every VPC of this program gets: an emptied default security group and flow logs."""

from __future__ import annotations

import json
from typing import Mapping

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy


def empty_default_security_group(name: str, vpc_id: pulumi.Input[str], tags: Mapping[str, str],
                                 parent: pulumi.Resource) -> aws.ec2.DefaultSecurityGroup:
    """Adopting the default security group with no rules empties it: nothing can use it by accident."""
    return aws.ec2.DefaultSecurityGroup(
        name, vpc_id=vpc_id, ingress=[], egress=[], tags=dict(tags), opts=pulumi.ResourceOptions(parent=parent))


def vpc_flow_logs(name: str, vpc_id: pulumi.Input[str], log_group_name: str, retention_days: int,
                  tags: Mapping[str, str], parent: pulumi.Resource) -> aws.ec2.FlowLog:
    """All traffic of a VPC to its own CloudWatch group, through a role that can write only there."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.cloudwatch.LogGroup(name, name=log_group_name, retention_in_days=retention_days,
                                    tags=dict(tags), opts=child)
    role = aws.iam.Role(name, assume_role_policy=service_trust_policy(["vpc-flow-logs.amazonaws.com"]),
                        tags=dict(tags), opts=child)
    aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=group.arn.apply(lambda arn: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [arn, f"{arn}:*"],
            }],
        })),
        opts=child,
    )
    return aws.ec2.FlowLog(name, vpc_id=vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                           log_destination=group.arn, iam_role_arn=role.arn, tags=dict(tags), opts=child)
