"""The cluster VPC: public and private subnets per zone, internet and NAT egress, an S3 gateway endpoint,
flow logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.vpc_parts import empty_default_security_group, internet_route_table, vpc_flow_logs


@dataclass(frozen=True)
class NetworkArgs:
    """What the cluster VPC is made of. No field has a default the stack config also has: wiring passes
    the config's value for each (workshop/config/model.py holds the defaults and their reasons).

    Attributes:
        name: prefix of the Name tags and of the flow-log group, the cluster name.
        vpc_cidr: `network.vpcCidr`.
        availability_zones: the zones used, one public and one private subnet in each.
        public_subnet_cidrs: one per zone, in the zones' order.
        private_subnet_cidrs: one per zone, carved after the public ones (workshop/subnets.py).
        nat_gateways: `single` (one NAT gateway, in the first zone) or `perAz`.
        flow_logs: `network.flowLogs`: VPC flow logs to CloudWatch Logs.
        flow_log_retention_days: `network.flowLogRetentionDays`.
        s3_gateway_endpoint: `network.s3GatewayEndpoint`: an S3 gateway endpoint on the private route tables.
        tags: the workshop tags plus `eks-workshop:tags`, on every resource.
        private_subnet_tags: tags on the private subnets only (karpenter.sh/discovery: nodes belong
            there). Default: none.
        protect: `eks-workshop:protect`: the VPC and the flow-log group refuse deletion. Default: false.
        log_kms_key_arn: the key of `eks-workshop:logEncryption` for the flow-log group. Default: none
            (CloudWatch Logs' own encryption).
        region: `aws:region`; needed by the S3 endpoint (`com.amazonaws.<region>.s3`). Default: "".
        remote_gateway_id: `cluster.remoteNetworks.vpcGatewayId`, `tgw-…` (attached to the private
            subnets) or `vgw-…` (attached to the VPC). Default: "", no gateway.
        remote_cidrs: routed through that gateway from every private route table: the remote node and
            pod networks and the deployer ranges outside the VPC. Default: none.
    """

    name: str
    vpc_cidr: str
    availability_zones: Sequence[str]
    public_subnet_cidrs: Sequence[str]
    private_subnet_cidrs: Sequence[str]
    nat_gateways: str
    flow_logs: bool
    flow_log_retention_days: int
    s3_gateway_endpoint: bool
    tags: Mapping[str, str]
    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False
    log_kms_key_arn: pulumi.Input[str] | None = None
    region: str = ""
    remote_gateway_id: str = ""
    remote_cidrs: Sequence[str] = ()


class Network(pulumi.ComponentResource):
    """The cluster VPC (`eks-workshop:network:Network`): a public and a private subnet per zone, an
    internet gateway, NAT gateways (one, or one per zone), a private route table per zone, the default
    security group emptied, and as configured an S3 gateway endpoint, routes to remote networks
    through their gateway, and flow logs. Outputs: `vpc_id`, `public_subnet_ids`, `private_subnet_ids`."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        if args.s3_gateway_endpoint and not args.region:
            raise ValueError("NetworkArgs.s3_gateway_endpoint needs NetworkArgs.region (aws:region)")
        super().__init__("eks-workshop:network:Network", name, None, opts)
        self._name, self._args = name, args

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags("vpc"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        empty_default_security_group(f"{name}-default-sg", self.vpc.id, self._tags("default-sg-unused"), self)
        igw, public_route_table = internet_route_table(name, self.vpc.id, self._tags("igw"), self._tags("public"), self)
        public_subnets = self._public_subnets(public_route_table)
        nat_gateway_ids = self._nat_gateways(public_subnets, igw)
        private_subnets, private_route_tables = self._private_subnets(nat_gateway_ids)
        if args.s3_gateway_endpoint:
            self._s3_gateway_endpoint(private_route_tables)
        if args.remote_gateway_id:
            self._routes_to_remote_networks([s.id for s in private_subnets], private_route_tables)
        if args.flow_logs:
            vpc_flow_logs(f"{name}-flow-logs", self.vpc.id, args.name, args.flow_log_retention_days,
                          self._tags("flow-logs"), self, args.log_kms_key_arn, protect=args.protect)

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
        })

    def _tags(self, label: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, "Name": f"{self._args.name}-{label}", **(extra or {})}

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _subnet(self, kind: str, az: str, cidr: str, tags: Mapping[str, str]) -> aws.ec2.Subnet:
        """Named as eksctl names its subnets: the workshop's labs find them by `tag:Name` globs."""
        return aws.ec2.Subnet(
            f"{self._name}-{kind}-{az}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            # Load balancers and NAT gateways get their addresses explicitly; nothing else gets one.
            map_public_ip_on_launch=False,
            tags={**self._tags(f"{kind}-{az}", tags), "Name": eksctl_subnet_name(self._args.name, kind, az)},
            opts=self._child(),
        )

    def _public_subnets(self, route_table: aws.ec2.RouteTable) -> list[aws.ec2.Subnet]:
        """One per zone, routed to the internet gateway, tagged for internet-facing load balancers."""
        subnets = []
        for az, cidr in zip(self._args.availability_zones, self._args.public_subnet_cidrs, strict=True):
            subnet = self._subnet("public", az, cidr, {"kubernetes.io/role/elb": "1"})
            aws.ec2.RouteTableAssociation(f"{self._name}-public-{az}", subnet_id=subnet.id,
                                          route_table_id=route_table.id, opts=self._child())
            subnets.append(subnet)
        return subnets

    def _nat_gateways(self, public_subnets: list[aws.ec2.Subnet],
                      igw: aws.ec2.InternetGateway) -> list[pulumi.Output[str]]:
        """Each zone's NAT gateway ID: its own (`perAz`), or the first zone's for all (`single`)."""
        ids: list[pulumi.Output[str]] = []
        for i, (az, subnet) in enumerate(zip(self._args.availability_zones, public_subnets, strict=True)):
            if self._args.nat_gateways == "perAz" or i == 0:
                eip = aws.ec2.Eip(f"{self._name}-nat-{az}", domain="vpc", tags=self._tags(f"nat-{az}"),
                                  opts=self._child())
                nat = aws.ec2.NatGateway(
                    f"{self._name}-nat-{az}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    tags=self._tags(f"nat-{az}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                ids.append(nat.id)
            else:
                ids.append(ids[0])
        return ids

    def _private_subnets(self, nat_gateway_ids: list[pulumi.Output[str]],
                         ) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.RouteTable]]:
        """One per zone with its own route table, whose default route leaves through the zone's NAT."""
        subnets, route_tables = [], []
        zones = zip(self._args.availability_zones, self._args.private_subnet_cidrs, nat_gateway_ids, strict=True)
        for az, cidr, nat_id in zones:
            subnet = self._subnet("private", az, cidr,
                                  {"kubernetes.io/role/internal-elb": "1", **self._args.private_subnet_tags})
            # One route table per zone in both modes, so switching single <-> perAz only moves routes.
            route_table = aws.ec2.RouteTable(f"{self._name}-private-{az}", vpc_id=self.vpc.id,
                                             tags=self._tags(f"private-{az}"), opts=self._child())
            aws.ec2.Route(f"{self._name}-private-{az}-default", route_table_id=route_table.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_id, opts=self._child())
            aws.ec2.RouteTableAssociation(f"{self._name}-private-{az}", subnet_id=subnet.id,
                                          route_table_id=route_table.id, opts=self._child())
            subnets.append(subnet)
            route_tables.append(route_table)
        return subnets, route_tables

    def _s3_gateway_endpoint(self, private_route_tables: list[aws.ec2.RouteTable]) -> None:
        """Free, and a route in each private table: the nodes' S3 traffic (ECR serves image layers from S3)
        skips the NAT gateway's per-GB charge. Public subnets reach S3 through the internet gateway at
        no charge already."""
        aws.ec2.VpcEndpoint(
            f"{self._name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self._args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_route_tables],
            tags=self._tags("s3"),
            opts=self._child(),
        )

    def _routes_to_remote_networks(self, private_subnet_ids: list[pulumi.Output[str]],
                                   private_route_tables: list[aws.ec2.RouteTable]) -> None:
        """Attach the gateway (a transit gateway on the private subnets, or a virtual private gateway to
        the VPC), then route each remote CIDR through it from every private route table: the control
        plane reaches kubelet and webhooks on the remote pods, and the private endpoint answers
        on-premises clients, only along these routes. Each route waits for its attachment (a plain
        gateway ID carries no dependency)."""
        name, args, tags, child = self._name, self._args, self._tags("remote"), self._child()
        gateway = args.remote_gateway_id
        if gateway.startswith("tgw-"):
            attachment: pulumi.Resource = aws.ec2transitgateway.VpcAttachment(
                f"{name}-tgw", transit_gateway_id=gateway, vpc_id=self.vpc.id, subnet_ids=private_subnet_ids,
                tags=dict(tags), opts=child)
            via = {"transit_gateway_id": gateway}
        else:
            attachment = aws.ec2.VpnGatewayAttachment(f"{name}-vgw", vpc_id=self.vpc.id, vpn_gateway_id=gateway,
                                                      opts=child)
            via = {"gateway_id": gateway}
        for table, az in zip(private_route_tables, args.availability_zones, strict=True):
            for i, cidr in enumerate(args.remote_cidrs):
                aws.ec2.Route(f"{name}-private-{az}-remote-{i}", route_table_id=table.id,
                              destination_cidr_block=cidr, **via,
                              opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]))


def eksctl_subnet_name(cluster: str, kind: str, az: str) -> str:
    """eksctl's subnet Name tag, `eksctl-<cluster>-cluster/SubnetPrivateAPNORTHEAST2A`: the kind capitalized,
    the zone upper-cased without hyphens. The workshop's labs look subnets up with the case-sensitive
    globs `*Private*`, `*Public*` and `*Private*A` (workshop/workshop_labs.json)."""
    return f"eksctl-{cluster}-cluster/Subnet{kind.capitalize()}{az.replace('-', '').upper()}"
