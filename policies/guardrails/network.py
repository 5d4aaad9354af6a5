"""VPCs, subnets and security groups."""

from __future__ import annotations

from pulumi_policy import Severity

from .common import OPEN_CIDRS, depends_on, resource_policy, stack_policy

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


def _flow_logs(args, report):
    logged = {vpc.urn for r in args.resources if r.resource_type == FLOW_LOG for vpc in depends_on(r, "vpcId")}
    for r in args.resources:
        if r.resource_type == VPC and r.urn not in logged:
            report(f"VPC {r.name} has no flow log (aws.ec2.FlowLog with its vpcId)", r.urn)


def _default_sg(args, report):
    closed: set[str] = set()
    for r in args.resources:
        if r.resource_type != DEFAULT_SG:
            continue
        if r.props.get("ingress") or r.props.get("egress"):
            report(f"default security group {r.name} has rules; it must allow nothing", r.urn)
        else:
            closed.update(vpc.urn for vpc in depends_on(r, "vpcId"))
    for r in args.resources:
        if r.resource_type == VPC and r.urn not in closed:
            report(f"VPC {r.name}'s default security group is not adopted and emptied "
                   "(aws.ec2.DefaultSecurityGroup with no rules)", r.urn)


def _port_allowed(from_port, to_port, allowed) -> bool:
    return from_port is not None and to_port is not None and from_port == to_port and int(from_port) in allowed


def _cidrs(props, *keys) -> list:
    """Every CIDR named under `keys`, whether a single value or a list (props are SDK proxies)."""
    found = []
    for key in keys:
        value = props.get(key)
        if isinstance(value, str):
            found.append(value)
        elif value:
            found.extend(value)
    return found


def _open_ingress(props, config, report):
    allowed = set(config.get("allowedPorts", []))
    rules = []
    if "ingress" in props:  # aws.ec2.SecurityGroup inline rules
        rules = [(r.get("fromPort"), r.get("toPort"), _cidrs(r, "cidrBlocks", "ipv6CidrBlocks"))
                 for r in props.get("ingress") or []]
    elif props.get("type", "ingress") == "ingress":  # one rule resource
        rules = [(props.get("fromPort"), props.get("toPort"),
                  _cidrs(props, "cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks"))]
    for from_port, to_port, cidrs in rules:
        open_cidrs = sorted(OPEN_CIDRS.intersection(cidrs))
        if open_cidrs and not _port_allowed(from_port, to_port, allowed):
            ports = "-".join(str(int(p)) if p is not None else "all" for p in (from_port, to_port))
            report(f"ingress from {', '.join(open_cidrs)} on ports {ports}; only ports "
                   f"{sorted(allowed) or 'none'} may be open to the internet")


def _private_subnet_public_ip(props, config, report):
    public = (props.get("tags") or {}).get("kubernetes.io/role/elb") == "1"
    if props.get("mapPublicIpOnLaunch") is True and not public:
        report("subnet maps public IPs on launch but is not a public (kubernetes.io/role/elb) subnet")


POLICIES = [
    stack_policy(
        "vpc-flow-logs-enabled",
        "Every VPC has flow logs.",
        _flow_logs, severity=Severity.MEDIUM,
        remediation="Turn on eks-workshop:network.flowLogs (or add an aws.ec2.FlowLog for the VPC)."),
    stack_policy(
        "vpc-default-security-group-closed",
        "Every VPC's default security group is adopted and allows nothing.",
        _default_sg, severity=Severity.MEDIUM,
        remediation="Adopt the default security group with aws.ec2.DefaultSecurityGroup and no rules."),
    resource_policy(
        "security-group-no-open-ingress",
        "No security group admits 0.0.0.0/0 or ::/0 except on explicitly allowed ports.",
        [SECURITY_GROUP, INGRESS_RULE, SG_RULE], _open_ingress, severity=Severity.HIGH,
        remediation="Restrict the source CIDR or security group, or allow the port in the policy config.",
        config={"allowedPorts": {"type": "array", "items": {"type": "integer"}, "default": []}}),
    resource_policy(
        "subnet-private-no-public-ip",
        "Subnets other than public (load balancer) subnets don't map public IPs on launch.",
        [SUBNET], _private_subnet_public_ip, severity=Severity.MEDIUM,
        remediation="Set mapPublicIpOnLaunch false."),
]
