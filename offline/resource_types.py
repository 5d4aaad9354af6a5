"""One table of what the offline tools know about each resource type the program creates.

A row says how the mock engine answers a registration, which price rule the estimator applies (none:
the type costs nothing by itself), how long a create typically takes and on what basis, which inputs
the plan's tree shows first, whether losing the resource loses data or endpoints (a WARNING when a
diff replaces or deletes it), whether `eks-workshop:protect` covers it and whether it takes tags. The
mock engine, the estimator and the plan read it; what forces a replacement is generated from the
providers' schemas (offline/replacement_rules.json) and a test keeps both tables covering the same
types. The policy pack runs standalone under the CLI with its own lists; a test keeps them equal to
the `protected` and `taggable` columns.

Adding a resource type to a component is adding its row here (a test fails for a type without one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offline import mock_handlers as answers
from offline import prices
from offline.prices import PriceRule

# A create the table doesn't time (an API call that returns at once).
DEFAULT_SECONDS = 5


@dataclass(frozen=True)
class ResourceType:
    mock: Callable[..., tuple[str, dict[str, Any]]] | None = None  # None: answered generically
    price: PriceRule | None = None  # what one costs a month (offline/prices.py); None: free by itself
    seconds: int = DEFAULT_SECONDS  # typical create time
    basis: str = "estimate"  # "docs" (an AWS document says so) or "estimate" (an engineering estimate)
    source: str = ""
    headline: tuple[str, ...] = ()  # inputs the plan's tree shows
    stateful: bool = False  # replacing or deleting it loses data or endpoints
    protected: bool = False  # eks-workshop:protect covers it
    taggable: bool = False  # takes the stack's tags
    # The Terraform resource the bridged provider wraps: scripts/generate_replacement_rules.py reads its
    # source for what forces a replacement. Empty for types that aren't bridged (Kubernetes, Pulumi's own).
    terraform: str = ""
    # The CloudFormation type whose resource provider schema lists the IAM actions its create, read, update
    # and delete need (offline/deploy_policy.py). Where there is none: why (`no_cloudformation`), and the
    # IAM actions the provider calls for it (`actions`, none where no cloud API is called).
    cloudformation: str = ""
    no_cloudformation: str = ""
    actions: tuple[str, ...] = ()


TYPES: dict[str, ResourceType] = {
    "aws:cloudfront/distribution:Distribution": ResourceType(
        cloudformation="AWS::CloudFront::Distribution",
        terraform="aws_cloudfront_distribution",
        mock=answers.distribution,
        price=prices.cloudfront,
        seconds=300,
        basis="estimate",
        source="distribution deployed to the edge (the provider waits for Deployed)",
        taggable=True),
    "aws:cloudwatch/logGroup:LogGroup": ResourceType(
        cloudformation="AWS::Logs::LogGroup",
        terraform="aws_cloudwatch_log_group",
        mock=answers.log_group,
        price=prices.log_group,
        seconds=2,
        basis="estimate",
        source="CloudWatch Logs call",
        headline=("name", "retentionInDays"),
        stateful=True,  # audit data: control-plane and flow logs
        protected=True,
        taggable=True),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ResourceType(
        no_cloudformation="the provider adopts the VPC's default security group (it never creates or deletes "
                          "one) and sets its rules and tags",
        actions=("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:AuthorizeSecurityGroupIngress",
                 "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
                 "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags", "ec2:DeleteTags"),
        terraform="aws_default_security_group",
        mock=answers.named("sg", "ec2", "security-group"),
        seconds=3,
        basis="estimate",
        source="EC2 calls",
        taggable=True),
    "aws:ec2/eip:Eip": ResourceType(
        cloudformation="AWS::EC2::EIP",
        terraform="aws_eip",
        mock=answers.eip,
        price=prices.public_ipv4,
        seconds=2,
        basis="estimate",
        source="EC2 call",
        taggable=True),
    "aws:ec2/flowLog:FlowLog": ResourceType(
        cloudformation="AWS::EC2::FlowLog",
        terraform="aws_flow_log",
        mock=answers.named("fl", "ec2", "vpc-flow-log"),
        seconds=3,
        basis="estimate",
        source="EC2 call",
        taggable=True),
    "aws:ec2/instance:Instance": ResourceType(
        cloudformation="AWS::EC2::Instance",
        terraform="aws_instance",
        mock=answers.instance,
        price=prices.ec2_instance,
        seconds=40,
        basis="estimate",
        source="instance reaching running (bootstrap not included)",
        taggable=True),
    "aws:ec2/internetGateway:InternetGateway": ResourceType(
        cloudformation="AWS::EC2::InternetGateway",
        terraform="aws_internet_gateway",
        mock=answers.named("igw", "ec2", "internet-gateway"),
        seconds=3,
        basis="estimate",
        source="EC2 call and attach",
        taggable=True),
    "aws:ec2/launchTemplate:LaunchTemplate": ResourceType(
        cloudformation="AWS::EC2::LaunchTemplate",
        terraform="aws_launch_template",
        mock=answers.launch_template,
        seconds=2,
        basis="estimate",
        source="EC2 call",
        headline=("metadataOptions.httpTokens",),
        taggable=True),
    "aws:ec2/natGateway:NatGateway": ResourceType(
        cloudformation="AWS::EC2::NatGateway",
        terraform="aws_nat_gateway",
        mock=answers.named("nat", "ec2", "natgateway"),
        price=prices.nat_gateway,
        seconds=120,
        basis="estimate",
        source="NAT gateway reaching available",
        taggable=True),
    "aws:ec2/route:Route": ResourceType(
        cloudformation="AWS::EC2::Route",
        terraform="aws_route",
        mock=answers.named("r", "ec2"),
        seconds=2,
        basis="estimate",
        source="EC2 call"),
    "aws:ec2/routeTable:RouteTable": ResourceType(
        cloudformation="AWS::EC2::RouteTable",
        terraform="aws_route_table",
        mock=answers.named("rtb", "ec2", "route-table"),
        seconds=2,
        basis="estimate",
        source="EC2 call",
        taggable=True),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ResourceType(
        cloudformation="AWS::EC2::SubnetRouteTableAssociation",
        terraform="aws_route_table_association",
        mock=answers.named("rtbassoc", "ec2"),
        seconds=2,
        basis="estimate",
        source="EC2 call"),
    "aws:ec2/securityGroup:SecurityGroup": ResourceType(
        cloudformation="AWS::EC2::SecurityGroup",
        terraform="aws_security_group",
        mock=answers.named("sg", "ec2", "security-group"),
        seconds=3,
        basis="estimate",
        source="EC2 call",
        taggable=True),
    "aws:ec2/subnet:Subnet": ResourceType(
        cloudformation="AWS::EC2::Subnet",
        terraform="aws_subnet",
        mock=answers.subnet,
        seconds=3,
        basis="estimate",
        source="EC2 call",
        headline=("cidrBlock", "availabilityZone"),
        stateful=True,
        taggable=True),
    "aws:ec2/tag:Tag": ResourceType(
        no_cloudformation="one tag on a resource something else created (CloudFormation tags only through each "
                          "resource's own Tags)",
        actions=("ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"),
        terraform="aws_ec2_tag",
        mock=answers.named("", "ec2"),
        seconds=1,
        basis="estimate",
        source="EC2 call"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ResourceType(
        cloudformation="AWS::EC2::VPCEndpoint",
        terraform="aws_vpc_endpoint",
        mock=answers.named("vpce", "ec2", "vpc-endpoint"),
        seconds=10,
        basis="estimate",
        source="EC2 call; a gateway endpoint is routes only and turns available within seconds",
        headline=("serviceName", "vpcEndpointType"),
        taggable=True),
    "aws:ec2/vpc:Vpc": ResourceType(
        cloudformation="AWS::EC2::VPC",
        terraform="aws_vpc",
        mock=answers.vpc,
        seconds=5,
        basis="estimate",
        source="EC2 call and DNS attributes",
        headline=("cidrBlock",),
        stateful=True,
        protected=True,
        taggable=True),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": ResourceType(
        cloudformation="AWS::EC2::TransitGatewayVpcAttachment",
        terraform="aws_ec2_transit_gateway_vpc_attachment",
        mock=answers.named("tgw-attach", "ec2", "transit-gateway-attachment"),
        price=prices.transit_gateway_attachment,
        seconds=90,
        basis="estimate",
        source="Transit Gateway attachments take a minute or two to become available",
        headline=("transitGatewayId",),
        taggable=True),
    "aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment": ResourceType(
        cloudformation="AWS::EC2::VPCGatewayAttachment",
        terraform="aws_vpn_gateway_attachment",
        mock=answers.named("vpc-attach", "ec2"),
        seconds=30,
        basis="estimate",
        source="EC2 call; the provider waits for the attachment to be attached",
        headline=("vpnGatewayId",)),
    "aws:rolesanywhere/trustAnchor:TrustAnchor": ResourceType(
        cloudformation="AWS::RolesAnywhere::TrustAnchor",
        terraform="aws_rolesanywhere_trust_anchor",
        mock=answers.named("ta", "rolesanywhere", "trust-anchor"),
        seconds=2,
        basis="estimate",
        source="IAM Roles Anywhere call; no charge",
        headline=("name",),
        taggable=True),
    "aws:rolesanywhere/profile:Profile": ResourceType(
        cloudformation="AWS::RolesAnywhere::Profile",
        terraform="aws_rolesanywhere_profile",
        mock=answers.named("rap", "rolesanywhere", "profile"),
        seconds=2,
        basis="estimate",
        source="IAM Roles Anywhere call; no charge",
        headline=("name",),
        taggable=True),
    "aws:eks/accessEntry:AccessEntry": ResourceType(
        cloudformation="AWS::EKS::AccessEntry",
        terraform="aws_eks_access_entry",
        mock=answers.access_entry,
        seconds=3,
        basis="estimate",
        source="EKS call",
        headline=("principalArn",),
        taggable=True),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ResourceType(
        no_cloudformation="CloudFormation has it as AWS::EKS::AccessEntry's AccessPolicies property, not a type of its own",
        actions=("eks:AssociateAccessPolicy", "eks:DisassociateAccessPolicy", "eks:ListAssociatedAccessPolicies",
                 "eks:DescribeAccessEntry"),
        terraform="aws_eks_access_policy_association",
        mock=answers.named("", "eks"),
        seconds=3,
        basis="estimate",
        source="EKS call"),
    "aws:eks/addon:Addon": ResourceType(
        cloudformation="AWS::EKS::Addon",
        terraform="aws_eks_addon",
        mock=answers.addon,
        seconds=60,
        basis="estimate",
        source="EKS add-on reaching ACTIVE",
        headline=("addonName", "addonVersion"),
        taggable=True),
    "aws:eks/cluster:Cluster": ResourceType(
        cloudformation="AWS::EKS::Cluster",
        terraform="aws_eks_cluster",
        mock=answers.cluster,
        price=prices.eks_control_plane,
        seconds=600,
        basis="docs",
        source="Amazon EKS user guide, Create a cluster: provisioning takes several minutes (10-15 typical)",
        headline=("name", "version", "vpcConfig.publicAccessCidrs"),
        stateful=True,
        protected=True,
        taggable=True),
    "aws:eks/nodeGroup:NodeGroup": ResourceType(
        cloudformation="AWS::EKS::Nodegroup",
        terraform="aws_eks_node_group",
        mock=answers.node_group,
        price=prices.node_group,
        seconds=240,
        basis="estimate",
        source="managed node group: instances launch, join and turn Ready",
        headline=("nodeGroupName", "instanceTypes", "scalingConfig", "releaseVersion"),
        stateful=True,
        taggable=True),
    "aws:iam/instanceProfile:InstanceProfile": ResourceType(
        cloudformation="AWS::IAM::InstanceProfile",
        terraform="aws_iam_instance_profile",
        mock=answers.instance_profile,
        seconds=10,
        basis="estimate",
        source="the provider waits for IAM propagation",
        taggable=True),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ResourceType(
        cloudformation="AWS::IAM::OIDCProvider",
        terraform="aws_iam_openid_connect_provider",
        mock=answers.oidc_provider,
        seconds=3,
        basis="estimate",
        source="IAM call",
        taggable=True),
    "aws:iam/role:Role": ResourceType(
        cloudformation="AWS::IAM::Role",
        terraform="aws_iam_role",
        mock=answers.iam_role,
        seconds=3,
        basis="estimate",
        source="IAM create call",
        taggable=True),
    "aws:iam/policy:Policy": ResourceType(
        cloudformation="AWS::IAM::ManagedPolicy",
        terraform="aws_iam_policy",
        mock=answers.iam_policy,
        seconds=2,
        basis="estimate",
        source="IAM call",
        taggable=True),
    "aws:iam/rolePolicy:RolePolicy": ResourceType(
        cloudformation="AWS::IAM::RolePolicy",
        terraform="aws_iam_role_policy",
        mock=answers.role_policy,
        seconds=2,
        basis="estimate",
        source="IAM call"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ResourceType(
        no_cloudformation="CloudFormation has it as AWS::IAM::Role's ManagedPolicyArns, not a type of its own",
        actions=("iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"),
        terraform="aws_iam_role_policy_attachment",
        mock=answers.named("", "iam"),
        seconds=2,
        basis="estimate",
        source="IAM call"),
    "aws:kms/alias:Alias": ResourceType(
        cloudformation="AWS::KMS::Alias",
        terraform="aws_kms_alias",
        mock=answers.named("", "kms"),
        seconds=2,
        basis="estimate",
        source="KMS call"),
    "aws:kms/key:Key": ResourceType(
        cloudformation="AWS::KMS::Key",
        terraform="aws_kms_key",
        mock=answers.kms_key,
        price=prices.kms_key,
        seconds=10,
        basis="estimate",
        source="key creation and rotation setting",
        stateful=True,
        protected=True,
        taggable=True),
    "aws:secretsmanager/secret:Secret": ResourceType(
        cloudformation="AWS::SecretsManager::Secret",
        terraform="aws_secretsmanager_secret",
        mock=answers.secret,
        price=prices.secret,
        seconds=2,
        basis="estimate",
        source="Secrets Manager call",
        taggable=True),
    "aws:secretsmanager/secretVersion:SecretVersion": ResourceType(
        no_cloudformation="CloudFormation sets a secret's value through AWS::SecretsManager::Secret, not a type of its own",
        actions=("secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                 "secretsmanager:UpdateSecretVersionStage", "secretsmanager:ListSecretVersionIds"),
        terraform="aws_secretsmanager_secret_version",
        mock=answers.secret_version,
        seconds=2,
        basis="estimate",
        source="Secrets Manager call"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ResourceType(
        cloudformation="AWS::EC2::SecurityGroupEgress",
        terraform="aws_vpc_security_group_egress_rule",
        mock=answers.named("sgr", "ec2", "security-group-rule"),
        seconds=2,
        basis="estimate",
        source="EC2 call",
        taggable=True),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ResourceType(
        cloudformation="AWS::EC2::SecurityGroupIngress",
        terraform="aws_vpc_security_group_ingress_rule",
        mock=answers.named("sgr", "ec2", "security-group-rule"),
        seconds=2,
        basis="estimate",
        source="EC2 call",
        headline=("cidrIpv4", "fromPort"),
        taggable=True),
    "kubernetes:apps/v1:Deployment": ResourceType(
        no_cloudformation="a Kubernetes object: the cluster's RBAC (the deployer's access entry) allows it, not IAM",
        seconds=60,
        basis="estimate",
        source="image pull and readiness probes passing"),
    "kubernetes:core/v1:Namespace": ResourceType(
        no_cloudformation="a Kubernetes object: the cluster's RBAC allows it, not IAM",
        seconds=2,
        basis="estimate",
        source="Kubernetes API call"),
    "kubernetes:core/v1:Service": ResourceType(
        no_cloudformation="a Kubernetes object: the cluster's RBAC allows it, not IAM",
        seconds=10,
        basis="estimate",
        source="endpoints populated"),
    "random:index/randomPassword:RandomPassword": ResourceType(
        no_cloudformation="generated by the random provider on the deployer's machine: no cloud API",
        terraform="random_password",
        mock=answers.random_password,
        seconds=0,
        basis="estimate",
        source="local to the provider"),
    # Answered generically by the mock engine (providers, Kubernetes objects, stack references).
    "pulumi:providers:kubernetes": ResourceType(
        no_cloudformation="provider configuration: no cloud call (its kubeconfig's token is presigned, no IAM "
                          "action)",seconds=0, source="provider configuration, no cloud call"),
    "pulumi:pulumi:StackReference": ResourceType(
        no_cloudformation="reads another stack's outputs from the state backend, not a cloud API",
        source="a read of another stack's outputs (not timed)"),
}
