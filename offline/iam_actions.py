"""The IAM actions behind each data source the program reads (a `pulumi preview` runs every one of them):
both roles need them (offline/deploy_policy.py). A data source the mock engine answers without its entry
here fails the tests.
"""

from __future__ import annotations

# The API actions behind each data source (pulumi-aws's getX wraps one AWS read; getPartition needs none).
INVOKE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:cloudwatch/getLogGroups:getLogGroups": ("logs:DescribeLogGroups",),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": ("ec2:DescribeManagedPrefixLists",
                                                          "ec2:GetManagedPrefixListEntries"),
    "aws:eks/getCluster:getCluster": ("eks:DescribeCluster",),
    "aws:eks/getClusters:getClusters": ("eks:ListClusters",),
    "aws:eks/getNodeGroup:getNodeGroup": ("eks:DescribeNodegroup",),
    "aws:eks/getNodeGroups:getNodeGroups": ("eks:ListNodegroups",),
    "aws:index/getAvailabilityZones:getAvailabilityZones": ("ec2:DescribeAvailabilityZones",),
    "aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",),
    "aws:index/getPartition:getPartition": (),
    "aws:ssm/getParameter:getParameter": ("ssm:GetParameter",),
}
