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
    name: str  # prefix of Name tags, normally the cluster name
    vpc_cidr: str  # network.vpcCidr
    availability_zones: Sequence[str]  # network.availabilityZones, or azCount zones of aws:region
    public_subnet_cidrs: Sequence[str]  # one per zone, same order
    private_subnet_cidrs: Sequence[str]  # carved after the public ones (workshop/subnets.py)
    nat_gateways: str  # "single" | "perAz"
    flow_logs: bool  # network.flowLogs
    flow_log_retention_days: int  # network.flowLogRetentionDays
    tags: Mapping[str, str]  # the workshop tags plus eks-workshop:tags
    # Tags for private subnets only, e.g. karpenter.sh/discovery: nodes belong in private subnets.
    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False  # eks-workshop:protect
    log_kms_key_arn: pulumi.Input[str] | None = None  # eks-workshop:logEncryption: the flow-log group's key
    s3_gateway_endpoint: bool = False  # network.s3GatewayEndpoint
    region: str = ""  # aws:region: the S3 endpoint's service is com.amazonaws.<region>.s3
    # cluster.remoteNetworks.vpcGatewayId: tgw-… (attached to the private subnets) or vgw-… (to the VPC)
    remote_gateway_id: str = ""
    # Routed through it from every private route table: the remote node and pod networks, and the
    # deployer ranges outside the VPC (the private endpoint answers them the same way)
    remote_cidrs: Sequence[str] = ()


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        if args.s3_gateway_endpoint and not args.region:
            raise ValueError("NetworkArgs.s3_gateway_endpoint needs NetworkArgs.region (aws:region)")
        super().__init__("eks-workshop:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def tags(label: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
            return {**args.tags, "Name": f"{args.name}-{label}", **(extra or {})}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        empty_default_security_group(f"{name}-default-sg", self.vpc.id, tags("default-sg-unused"), self)

        igw, public_rt = internet_route_table(name, self.vpc.id, tags("igw"), tags("public"), self)

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        nat_ids: list[pulumi.Output[str]] = []
        private_route_tables: list[aws.ec2.RouteTable] = []
        for i, az in enumerate(args.availability_zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{az}",
                vpc_id=self.vpc.id,
                cidr_block=args.public_subnet_cidrs[i],
                availability_zone=az,
                # Load balancers and NAT gateways get their addresses explicitly; nothing else belongs here.
                map_public_ip_on_launch=False,
                tags=tags(f"public-{az}", {"kubernetes.io/role/elb": "1"}),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-public-{az}", subnet_id=public.id,
                                          route_table_id=public_rt.id, opts=child)
            public_subnets.append(public)

            private = aws.ec2.Subnet(
                f"{name}-private-{az}",
                vpc_id=self.vpc.id,
                cidr_block=args.private_subnet_cidrs[i],
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags=tags(f"private-{az}", {"kubernetes.io/role/internal-elb": "1", **args.private_subnet_tags}),
                opts=child,
            )
            private_subnets.append(private)

            if args.nat_gateways == "perAz" or i == 0:
                eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", tags=tags(f"nat-{az}"), opts=child)
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{az}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    tags=tags(f"nat-{az}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                nat_ids.append(nat.id)

            # One route table per zone in both modes, so switching single <-> perAz only moves routes.
            private_rt = aws.ec2.RouteTable(f"{name}-private-{az}", vpc_id=self.vpc.id,
                                            tags=tags(f"private-{az}"), opts=child)
            aws.ec2.Route(f"{name}-private-{az}-default", route_table_id=private_rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[-1], opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{az}", subnet_id=private.id,
                                          route_table_id=private_rt.id, opts=child)
            private_route_tables.append(private_rt)

        if args.s3_gateway_endpoint:
            # Free, and a route in each private table: the nodes' S3 traffic (ECR serves image layers from
            # S3) skips the NAT gateway's per-GB charge. Public subnets reach S3 through the internet
            # gateway at no charge already.
            aws.ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in private_route_tables],
                tags=tags("s3"),
                opts=child,
            )

        if args.remote_gateway_id:
            self._routes_to_remote_networks(name, args, [s.id for s in private_subnets], private_route_tables,
                                            tags("remote"))

        if args.flow_logs:
            vpc_flow_logs(f"{name}-flow-logs", self.vpc.id, args.name, args.flow_log_retention_days,
                          tags("flow-logs"), self, args.log_kms_key_arn, protect=args.protect)

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
        })

    def _routes_to_remote_networks(self, name: str, args: NetworkArgs, private_subnet_ids: list,
                                   private_route_tables: list, tags: Mapping[str, str]) -> None:
        """Attach the gateway (a transit gateway on the private subnets, or a virtual private gateway to
        the VPC), then route each remote CIDR through it from every private route table: the control
        plane reaches kubelet and webhooks on the remote pods, and the private endpoint answers
        on-premises clients, only along these routes. Each route waits for its attachment (a plain
        gateway ID carries no dependency)."""
        child = pulumi.ResourceOptions(parent=self)
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
