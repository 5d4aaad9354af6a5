"""The workshop IDE: code-server on EC2 in its own VPC, reached only through CloudFront over HTTPS,
prepared for the labs by the workshop's own scripts.

Replaces the workshop's `eks-workshop-ide` CloudFormation stack without its weaknesses: viewers are
redirected to HTTPS and get security headers, the role has the labs' permissions scoped as the
workshop scopes them (no AdministratorAccess), the bootstrap retries and waits for readiness, and the
origin answers only our distribution: port 80 is open to CloudFront's origin-facing servers alone, and
nginx refuses any request without the secret header our distribution adds (other distributions use
the same servers).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.iam import attach_managed_policies, cluster_admin_access, service_trust_policy
from components.vpc_parts import empty_default_security_group, internet_route_table, vpc_flow_logs
from workshop.config import ide_role_name

BOOTSTRAP_TEMPLATE = Path(__file__).with_name("bootstrap.sh")
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
CLOUDFRONT_ORIGIN_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
# AWS-managed CloudFront policies: no caching at all, and every viewer header, cookie and query
# string passed to the origin (code-server needs its cookies and the WebSocket upgrade).
CACHING_DISABLED_POLICY = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_ORIGIN_REQUEST_POLICY = "216adef6-5c7f-47e4-b989-5492eafa07d3"
# AWS-managed response headers policy "SecurityHeadersPolicy": HSTS, X-Content-Type-Options,
# X-Frame-Options SAMEORIGIN, Referrer-Policy, X-XSS-Protection.
SECURITY_HEADERS_POLICY = "67f7725c-6f97-4210-82d7-5512b31e9d03"
# The header that proves a request came through our distribution (nginx checks it; bootstrap.sh).
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class WorkshopIdeArgs:
    """The workshop IDE. No field has a default the stack config also has: wiring passes the config's
    value for each (workshop/config/model.py holds the defaults and their reasons).

    Attributes:
        name: prefix of the physical names (secrets, flow-log group), the cluster name.
        region: `aws:region`.
        availability_zone: the zone of the IDE's subnet, the stack's first.
        cluster_name: the cluster's name output: the access entry waits for the cluster.
        cluster_arn: the cluster's ARN, which the instance role may describe.
        cluster_auto_name: the workshop's Auto Mode cluster (`EKS_CLUSTER_AUTO_NAME`, its fastpath labs).
        instance_type: `ide.instanceType`.
        volume_size: `ide.volumeSize`, GiB of encrypted gp3.
        vpc_cidr: `ide.vpcCidr`, the IDE's own VPC (one public subnet).
        repository_owner: `ide.repositoryOwner`: the workshop repository whose scripts prepare the IDE.
        repository_name: `ide.repositoryName`.
        repository_ref: `ide.repositoryRef`.
        inbound_cidrs: `ide.inboundCidrs`, the workshop scripts' BASE_INBOUND_CIDRS (the IDE's address added).
        workshop_scripts: the workshop's IDE steps in order, each "<user> <how> <path>" (user `root` or
            `ide`, how `source` or `run`): workshop/workshop_labs.json.
        lab_policies: the lab permissions as IAM policy documents, each one managed policy of the role,
            with the placeholders below where the account ID and the partition go.
        lab_policy_placeholders: `account` and `partition` to the text standing for them in lab_policies.
        aws_managed_policies: the AWS-managed policies attached to the role besides them.
        code_server_version: `ide.codeServerVersion`.
        flow_log_retention_days: `network.flowLogRetentionDays`, of the IDE VPC's flow logs.
        tags: `eks-workshop:tags` and `workshop-ide: <cluster>`; not the workshop's `created-by`/`env` (the labs
            find the cluster's network by them and must not find the IDE's).
        protect: `eks-workshop:protect`: the VPC and the flow-log group refuse deletion. Default: false.
        log_kms_key_arn: the key of `eks-workshop:logEncryption` for the flow-log group. Default: none.
    """

    name: str
    region: str
    availability_zone: str
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    cluster_auto_name: str
    instance_type: str
    volume_size: int
    vpc_cidr: str
    repository_owner: str
    repository_name: str
    repository_ref: str
    inbound_cidrs: Sequence[str]
    workshop_scripts: Sequence[str]
    lab_policies: Sequence[str]
    lab_policy_placeholders: Mapping[str, str]
    aws_managed_policies: Sequence[str]
    code_server_version: str
    flow_log_retention_days: int
    tags: Mapping[str, str]
    protect: bool = False
    log_kms_key_arn: pulumi.Input[str] | None = None

    @property
    def ide_role_name(self) -> str:
        return ide_role_name(self.name)

    @property
    def password_secret_name(self) -> str:
        return f"{self.name}-ide-password"

    @property
    def origin_secret_name(self) -> str:
        # Not "-secret": a name ending in a hyphen and six characters reads like the random suffix
        # Secrets Manager appends to ARNs, and partial-ARN lookups may match the wrong secret.
        return f"{self.name}-ide-origin-token"


def ide_vpc_name(name: str) -> str:
    """The IDE VPC's name (its flow-log group is named after it)."""
    return f"{name}-ide"


def render_bootstrap(args: WorkshopIdeArgs, cluster_name: str) -> str:
    """The bootstrap script with the stack's values, shell-quoted, in place of its marker line."""
    values = {
        "REGION": args.region,
        "CLUSTER_NAME": cluster_name,
        "CLUSTER_AUTO_NAME": args.cluster_auto_name,
        "CODE_SERVER_VERSION": args.code_server_version,
        "REPOSITORY_OWNER": args.repository_owner,
        "REPOSITORY_NAME": args.repository_name,
        "REPOSITORY_REF": args.repository_ref,
        # Whether the labs' own resources were provisioned ahead (a Workshop Studio event): no, only the cluster.
        "RESOURCES_PRECREATED": "false",
        "INBOUND_CIDRS": ",".join(args.inbound_cidrs),
        "PASSWORD_SECRET_NAME": args.password_secret_name,
        "ORIGIN_SECRET_NAME": args.origin_secret_name,
    }
    block = "\n".join([*(f"readonly {k}={shlex.quote(v)}" for k, v in values.items()),
                       f"readonly -a WORKSHOP_SCRIPTS=({' '.join(shlex.quote(s) for s in args.workshop_scripts)})"])
    template = BOOTSTRAP_TEMPLATE.read_text()
    if template.count("# @@VALUES@@") != 1:
        raise ValueError(f"{BOOTSTRAP_TEMPLATE} must contain the marker line '# @@VALUES@@' once")
    return template.replace("# @@VALUES@@", block)


def generated_secret(name: str, secret_name: str, description: str, field_name: str, tags: Mapping[str, str],
                     parent: pulumi.Resource
                     ) -> tuple[random.RandomPassword, aws.secretsmanager.Secret, aws.secretsmanager.SecretVersion]:
    """A generated 32-character value, kept only as a secret: in Secrets Manager as `{field_name: value}`
    (the instance reads it at boot) and in the state; the three resources are all named `name`."""
    child = pulumi.ResourceOptions(parent=parent)
    value = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False, opts=child)
    secret = aws.secretsmanager.Secret(
        name, name=secret_name, description=description,
        # Regenerated on every create; a recovery window would only block re-creating the name.
        recovery_window_in_days=0, tags=dict(tags), opts=child)
    version = aws.secretsmanager.SecretVersion(
        name, secret_id=secret.id,
        # mypy can't solve Output.secret's type variable through Input[T]'s union; the value is a str.
        secret_string=pulumi.Output.secret(value.result.apply(  # type: ignore[arg-type]
            lambda v: json.dumps({field_name: v}))), opts=child)
    return value, secret, version


@dataclass(frozen=True)
class _Origin:
    """What the instance answers on: its subnet, its security group and the rule that lets it out."""

    subnet: aws.ec2.Subnet
    security_group: aws.ec2.SecurityGroup
    egress: aws.vpc.SecurityGroupEgressRule


@dataclass(frozen=True)
class _Identity:
    """The instance's role, what it may do, and what must exist before the bootstrap runs."""

    role: aws.iam.Role
    profile: aws.iam.InstanceProfile
    ready_before_boot: list[pulumi.Resource]


class WorkshopIde(pulumi.ComponentResource):
    """The browser IDE the workshop runs from (`eks-workshop:ide:WorkshopIde`): its own VPC with flow logs,
    a security group open on port 80 to CloudFront's origin-facing servers only, a generated password
    and origin header value (Secrets Manager), an instance role with cluster-admin through an access
    entry, an Amazon Linux 2023 instance running code-server behind nginx (components/ide/bootstrap.sh),
    and a CloudFront distribution in front that redirects to HTTPS and caches nothing. Outputs: `url`,
    `password_secret_name`, `password_secret_console_url`, `role_arn`."""

    def __init__(self, name: str, args: WorkshopIdeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:ide:WorkshopIde", name, None, opts)
        self._name, self._args = name, args

        origin = self._network()
        # The password: generated, stored only as a secret, read by the instance at boot.
        _, secret, secret_version = generated_secret(
            f"{name}-password", args.password_secret_name, "Password of the workshop IDE (code-server)",
            "password", self._tags("ide-password"), self)
        # The origin's shared secret: CloudFront sends it in a header, nginx answers nothing without it
        # (the origin-facing prefix list admits every distribution in the world, not only ours).
        origin_value, origin_secret, origin_secret_version = generated_secret(
            f"{name}-origin-secret", args.origin_secret_name,
            "Header value CloudFront sends to the workshop IDE's origin", "value", self._tags("ide-origin-secret"), self)
        identity = self._identity(secret, origin_secret)
        self.instance = self._instance(origin, identity,
                                       [secret_version, origin_secret_version, origin.egress, *identity.ready_before_boot])
        self.distribution = self._distribution(origin_value)

        self.url = self.distribution.domain_name.apply(lambda d: f"https://{d}")
        self.password_secret_name = secret.name
        self.password_secret_console_url = secret.name.apply(
            lambda n: f"https://{args.region}.console.aws.amazon.com/secretsmanager/secret?name={n}"
                      f"&region={args.region}")
        self.role_arn = identity.role.arn
        self.register_outputs({
            "url": self.url,
            "passwordSecretName": self.password_secret_name,
            "passwordSecretConsoleUrl": self.password_secret_console_url,
            "roleArn": self.role_arn,
        })

    def _tags(self, label: str) -> dict[str, str]:
        return {**self._args.tags, "Name": f"{self._args.name}-{label}"}

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _network(self) -> _Origin:
        """Its own network, nothing shared with the cluster VPC: one public subnet that only CloudFront
        reaches, on HTTP 80. No SSH (Session Manager instead)."""
        name, args, tags, child = self._name, self._args, self._tags, self._child()
        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.vpc_cidr, enable_dns_support=True,
                          enable_dns_hostnames=True, tags=tags("ide-vpc"),
                          opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        empty_default_security_group(f"{name}-default-sg", vpc.id, tags("ide-default-sg-unused"), self)
        vpc_flow_logs(f"{name}-flow-logs", vpc.id, ide_vpc_name(args.name), args.flow_log_retention_days,
                      tags("ide-flow-logs"), self, args.log_kms_key_arn, protect=args.protect)
        _, route_table = internet_route_table(name, vpc.id, tags("ide-igw"), tags("ide-public"), self)
        subnet = aws.ec2.Subnet(f"{name}-public", vpc_id=vpc.id, cidr_block=args.vpc_cidr,
                                availability_zone=args.availability_zone,
                                # The instance asks for its address itself; nothing else lands here.
                                map_public_ip_on_launch=False, tags=tags("ide-public"), opts=child)
        aws.ec2.RouteTableAssociation(f"{name}-public", subnet_id=subnet.id, route_table_id=route_table.id,
                                      opts=child)

        origin_facing = aws.ec2.get_managed_prefix_list_output(name=CLOUDFRONT_ORIGIN_PREFIX_LIST)
        security_group = aws.ec2.SecurityGroup(f"{name}-origin", vpc_id=vpc.id,
                                               description="Workshop IDE: HTTP from CloudFront only",
                                               tags=tags("ide-origin"), opts=child)
        aws.vpc.SecurityGroupIngressRule(f"{name}-origin-http", security_group_id=security_group.id,
                                         description="HTTP from CloudFront origin-facing servers",
                                         ip_protocol="tcp", from_port=80, to_port=80,
                                         prefix_list_id=origin_facing.id, tags=tags("ide-origin-http"), opts=child)
        egress = aws.vpc.SecurityGroupEgressRule(f"{name}-egress", security_group_id=security_group.id,
                                                 description="Packages, tool downloads, GitHub and AWS APIs",
                                                 ip_protocol="-1", cidr_ipv4="0.0.0.0/0", tags=tags("ide-egress"),
                                                 opts=child)
        return _Origin(subnet, security_group, egress)

    def _identity(self, secret: aws.secretsmanager.Secret, origin_secret: aws.secretsmanager.Secret) -> _Identity:
        """SSM, its own secrets, its own cluster; cluster-admin through an access entry. Trusted by EC2
        alone: the SSM agent on the instance uses the instance profile's credentials, and trust by
        ssm.amazonaws.com (the original stack's) serves only hybrid activations, which would let anyone
        who may create one in the account register a machine with this cluster-admin role."""
        name, args, tags, child = self._name, self._args, self._tags, self._child()
        role = aws.iam.Role(
            f"{name}-role",
            # The workshop's name for it (hack/lib/common-env.sh IDE_ROLE_NAME): another stack can grant it
            # access by ARN before it exists (dev-auto's adminPrincipals).
            name=args.ide_role_name,
            assume_role_policy=service_trust_policy(["ec2.amazonaws.com"]),
            tags=tags("ide-role"),
            opts=child,
        )
        role_policies = attach_managed_policies(role, f"{name}-role", args.aws_managed_policies, self)
        # What the workshop's labs do from the IDE (their Terraform, eksctl, the AWS CLI), scoped as the
        # workshop scopes it: our own managed policies, `<cluster>-ide-labs-<n>`.
        account = aws.get_caller_identity_output().account_id
        partition = aws.get_partition_output().partition
        marks = args.lab_policy_placeholders

        def filled(document: str) -> pulumi.Output[str]:
            return pulumi.Output.all(account, partition).apply(
                lambda a: document.replace(marks["account"], a[0]).replace(marks["partition"], a[1]))

        for i, document in enumerate(args.lab_policies, start=1):
            policy = aws.iam.Policy(f"{name}-labs-{i}", name=f"{args.name}-ide-labs-{i}",
                                    description=f"EKS workshop labs, part {i} (workshop/workshop_labs.json)",
                                    policy=filled(document), tags=tags(f"ide-labs-{i}"), opts=child)
            role_policies.append(aws.iam.RolePolicyAttachment(f"{name}-labs-{i}", role=role.name,
                                                              policy_arn=policy.arn, opts=child))
        own_access = aws.iam.RolePolicy(
            f"{name}-role",
            role=role.id,
            policy=pulumi.Output.all(secret.arn, origin_secret.arn, args.cluster_arn).apply(lambda a: json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "ReadOwnSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": [a[0], a[1]]},
                    {"Sid": "DescribeWorkshopCluster", "Effect": "Allow", "Action": "eks:DescribeCluster",
                     "Resource": a[2]},
                ],
            })),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=tags("ide-profile"), opts=child)
        admin = cluster_admin_access(f"{name}-access", args.cluster_name, role.arn, tags("ide-access"), self)
        return _Identity(role, profile, [admin, own_access, *role_policies])

    def _instance(self, origin: _Origin, identity: _Identity, ready_before_boot: list[pulumi.Resource]) -> aws.ec2.Instance:
        args = self._args
        ami = aws.ssm.get_parameter_output(name=AL2023_AMI_PARAMETER)
        return aws.ec2.Instance(
            f"{self._name}-instance",
            ami=ami.value,
            instance_type=args.instance_type,
            subnet_id=origin.subnet.id,
            associate_public_ip_address=True,  # CloudFront's origin is the instance's public DNS name
            vpc_security_group_ids=[origin.security_group.id],
            iam_instance_profile=identity.profile.name,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_size=args.volume_size, volume_type="gp3", encrypted=True, delete_on_termination=True),
            user_data=pulumi.Output.from_input(args.cluster_name).apply(lambda c: render_bootstrap(args, c)),
            # A changed bootstrap only takes effect on a new instance: the IDE holds no state worth keeping.
            user_data_replace_on_change=True,
            tags=self._tags("ide"),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The bootstrap runs once, at boot, with ~50 s of retries: the secret, the role's right to
                # read it and describe the cluster, cluster-admin, and a way out (the provider strips a new
                # security group's default egress) must all exist before the instance does.
                depends_on=ready_before_boot,
                # The SSM parameter moves to each new AMI release; that alone must not replace the IDE.
                ignore_changes=["ami"],
            ),
        )

    def _distribution(self, origin_value: random.RandomPassword) -> aws.cloudfront.Distribution:
        """HTTPS in front, nothing cached, and our header on every request to the origin."""
        return aws.cloudfront.Distribution(
            f"{self._name}-cdn",
            enabled=True,
            comment=f"{self._args.name} workshop IDE",
            http_version="http2",
            price_class="PriceClass_All",
            origins=[aws.cloudfront.DistributionOriginArgs(
                origin_id="ide",
                domain_name=self.instance.public_dns,
                # HTTP: no certificate CloudFront accepts can be issued for an EC2 host name, and CloudFront
                # VPC origins (private, no public address) don't carry WebSockets, which code-server needs.
                custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                    http_port=80, https_port=443, origin_protocol_policy="http-only",
                    origin_ssl_protocols=["TLSv1.2"], origin_read_timeout=60),
                custom_headers=[aws.cloudfront.DistributionOriginCustomHeaderArgs(
                    name=ORIGIN_VERIFY_HEADER, value=origin_value.result)],
            )],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="ide",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_DISABLED_POLICY,
                origin_request_policy_id=ALL_VIEWER_ORIGIN_REQUEST_POLICY,
                response_headers_policy_id=SECURITY_HEADERS_POLICY,
                compress=False,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            tags=self._tags("ide-cdn"),
            opts=self._child(),
        )
