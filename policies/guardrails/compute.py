"""EC2 instances and launch templates, and node group size and cost limits."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from .common import dig, resource_policy

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CLUSTER = "aws:eks/cluster:Cluster"
# 1: only processes in the host's network namespace reach instance metadata; pods on the pod network
# (one hop further) can't read the node role's credentials.
DEFAULT_MAX_HOP_LIMIT = 1
DEFAULT_INSTANCE_TYPES = ["m5.large", "m5.xlarge", "m5.2xlarge", "m6i.large", "m6i.xlarge", "m7i.large",
                          "m7i.xlarge", "t3.medium", "t3.large"]


def _truthy(value) -> bool:
    # Launch templates carry booleans as strings ("true"), instances as booleans.
    return str(value).lower() == "true"


def _imdsv2(props, config, report):
    tokens = dig(props, "metadataOptions.httpTokens")
    if dig(props, "metadataOptions.httpEndpoint") == "disabled":
        return
    if tokens != "required":
        report(f"instance metadata allows IMDSv1 (httpTokens {tokens or 'optional (default)'}); "
               "set metadataOptions.httpTokens to required")
    limit = int(config.get("maxHopLimit", DEFAULT_MAX_HOP_LIMIT))
    hops = dig(props, "metadataOptions.httpPutResponseHopLimit")
    if hops is not None and hops > limit:
        report(f"IMDS hop limit {int(hops)} exceeds {limit}: containers further away can reach instance credentials")


def _encrypted_root(props, config, report):
    volumes = [m.get("ebs") or {} for m in props.get("blockDeviceMappings") or []]
    volumes += [props["rootBlockDevice"]] if props.get("rootBlockDevice") else []
    volumes += props.get("ebsBlockDevices") or []
    if not volumes:
        report("no root volume is declared, so its encryption depends on the account default: "
               "declare an encrypted one")
    for v in volumes:
        if not _truthy(v.get("encrypted")):
            report("an EBS volume is not encrypted (encrypted is not true)")


def _no_public_ip(props, config, report):
    for nic in props.get("networkInterfaces") or []:
        if _truthy(nic.get("associatePublicIpAddress")):
            report("a launch template network interface associates a public IP; nodes belong in private subnets")


def _auto_mode_pools(props) -> list:
    """The built-in node pools of an EKS Auto Mode cluster (none for a standard one)."""
    compute = props.get("computeConfig") or {}
    return list(compute.get("nodePools") or []) if compute.get("enabled") else []


def _scaling(props, config, report):
    if pools := _auto_mode_pools(props):
        # EKS sizes Auto Mode's built-in pools to the pending pods: nothing in the cluster bounds the count.
        report(f"EKS Auto Mode's built-in node pools {pools} launch as many nodes as pending pods need: maxNodes "
               f"{config.get('maxNodes', 20)} can't bound them (a NodePool of your own with limits can)")
        return
    scaling = props.get("scalingConfig") or {}
    low, desired, high = scaling.get("minSize"), scaling.get("desiredSize"), scaling.get("maxSize")
    limit = config.get("maxNodes", 20)
    if high is not None and high > limit:
        report(f"maxSize {int(high)} exceeds the limit of {limit} nodes per group")
    if low is not None and desired is not None and high is not None and not low <= desired <= high:
        report(f"scaling must satisfy minSize <= desiredSize <= maxSize (got {int(low)}/{int(desired)}/{int(high)})")


def _instance_types(props, config, report):
    allowed = config.get("allowedInstanceTypes", DEFAULT_INSTANCE_TYPES)
    if pools := _auto_mode_pools(props):
        report(f"EKS Auto Mode's built-in node pools {pools} choose their instance types themselves (on-demand C, M "
               "or R, generation 5 or newer): the allow-list can't bound them (a NodePool of your own can)")
        return
    if "instanceTypes" not in props and "instanceType" not in props:
        return  # a standard cluster: its node groups are judged
    types = props.get("instanceTypes") if "instanceTypes" in props else [props.get("instanceType")]
    outside = [t for t in types or [] if t not in allowed]
    if outside:
        report(f"instance types {outside} are not in the allow-list {allowed}")


POLICIES = [
    resource_policy(
        "ec2-imdsv2-required",
        "Instances and launch templates require IMDSv2 with a bounded hop limit.",
        [LAUNCH_TEMPLATE, INSTANCE], _imdsv2, severity=Severity.HIGH,
        remediation=f"Set metadataOptions {{httpTokens: required, httpPutResponseHopLimit: {DEFAULT_MAX_HOP_LIMIT}}} "
                    "(or raise maxHopLimit for a stack whose pods must reach instance metadata).",
        config={"maxHopLimit": {"type": "integer", "minimum": 1, "maximum": 64, "default": DEFAULT_MAX_HOP_LIMIT}}),
    resource_policy(
        "ec2-encrypted-root-volumes",
        "Instances and launch templates declare encrypted EBS volumes.",
        [LAUNCH_TEMPLATE, INSTANCE], _encrypted_root, severity=Severity.HIGH,
        remediation="Declare the root volume with ebs.encrypted true (launch templates: \"true\")."),
    resource_policy(
        "ec2-node-launch-template-no-public-ip",
        "Launch templates don't associate public IP addresses.",
        [LAUNCH_TEMPLATE], _no_public_ip, severity=Severity.HIGH,
        remediation="Remove associatePublicIpAddress from networkInterfaces."),
    resource_policy(
        "eks-node-group-scaling-limits",
        "Node group scaling is consistent and within the configured maximum (cost guard); an Auto Mode cluster's "
        "built-in node pools are reported as unbounded.",
        [NODE_GROUP, CLUSTER], _scaling, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Lower scalingConfig.maxSize, or raise maxNodes in the stack's policy config.",
        config={"maxNodes": {"type": "integer", "minimum": 1, "default": 20}}),
    resource_policy(
        "ec2-instance-type-allowlist",
        "Node groups and instances use instance types from the allow-list (cost guard); an Auto Mode cluster's "
        "built-in node pools are reported as not bounded by it.",
        [NODE_GROUP, INSTANCE, CLUSTER], _instance_types, severity=Severity.LOW, enforcement=EnforcementLevel.ADVISORY,
        remediation="Use an allowed type, or extend allowedInstanceTypes in the stack's policy config.",
        config={"allowedInstanceTypes": {"type": "array", "items": {"type": "string"},
                                         "default": DEFAULT_INSTANCE_TYPES}}),
]
