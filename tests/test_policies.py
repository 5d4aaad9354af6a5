"""The policy pack, started as the CLI starts it and spoken to over gRPC.

Every resource policy gets a violating and a compliant resource in the pulumi-aws wire shape, and an
unknown (preview) value where it reads one; stack policies get whole stacks; and every stack of the
real program passes the pack at that stack's enforcement levels.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from plan_support import dated

from offline.analyzer import PolicyPackProcess, load_policy_config
from offline.runner import RegisteredResource, load_stack_config, run_stack
from offline.wire import UNKNOWN_WIRE

UNKNOWN = UNKNOWN_WIRE

# dev's deliberate deviations, each advisory, each with its reason in docs/security.md.
DEV_ADVISORIES = {"eks-public-endpoint-restricted", "eks-hybrid-endpoint-mode", "cloudfront-origin-https",
                  "eks-version-support-window"}

ROOT = Path(__file__).resolve().parent.parent
GOOD_CLUSTER = {
    "name": "c", "version": "1.35", "roleArn": "arn:aws:iam::1:role/r",
    "vpcConfig": {"subnetIds": ["subnet-1"], "endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]},
    "accessConfig": {"authenticationMode": "API"},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:r:1:key/k"}},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16"},
    "remoteNetworkConfig": {"remoteNodeNetworks": {"cidrs": ["10.52.0.0/16"]},
                            "remotePodNetworks": {"cidrs": ["10.53.0.0/16"]}},
    "tags": {"created-by": "x", "env": "y"},
    "deletionProtection": True, "zonalShiftConfig": {"enabled": True},
}
GOOD_LT = {"metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
           "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}],
           "tags": {"created-by": "x", "env": "y"}}
GOOD_NG = {"clusterName": "c", "nodeRoleArn": "arn", "subnetIds": ["subnet-1"], "instanceTypes": ["m5.large"],
           "scalingConfig": {"minSize": 3, "desiredSize": 3, "maxSize": 6}, "tags": {"created-by": "x", "env": "y"},
           "nodeRepairConfig": {"enabled": True}}


def merged(base: dict, **changes) -> dict:
    out = json.loads(json.dumps(base))
    for path, value in changes.items():
        node = out
        *parents, leaf = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return out


def resource(type_: str, props: dict, name: str = "r", **kw) -> RegisteredResource:
    return RegisteredResource(
        urn=f"urn:pulumi:test::eks-workshop::{type_}::{name}", type=type_, name=name, custom=True,
        parent=kw.get("parent", ""), dependencies=kw.get("dependencies", []),
        property_dependencies=kw.get("property_dependencies", {}), protect=kw.get("protect", False),
        ignore_changes=[], provider="", id=name, inputs=props, outputs=props)


@pytest.fixture(scope="module")
def pack():
    with PolicyPackProcess() as p:
        yield p


def messages(pack, policy: str, type_: str, props: dict, config: dict | None = None) -> list[str]:
    pack.configure(dated(config or {}))
    return [v.message for v in pack.analyze(resource(type_, props)) if v.policy == policy]


CLUSTER = "aws:eks/cluster:Cluster"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NG = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
CNI_GOOD = {"addonName": "vpc-cni", "addonVersion": "v1.19.2-eksbuild.1", "clusterName": "c",
            "configurationValues": '{"enableNetworkPolicy":"true"}', "tags": {"created-by": "x", "env": "y"}}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
STAR = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
SCOPED = json.dumps({"Version": "2012-10-17",
                     "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]})

HTTP_ORIGIN = {"originId": "ide", "domainName": "ec2.example", "customOriginConfig": {"originProtocolPolicy": "http-only"}}
ROOT_ADMIN = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
              "Action": ["kms:CreateAlias", "kms:Describe*", "kms:PutKeyPolicy"], "Resource": "*"}
FLOW_LOG_TRUST_OPEN = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["vpc-flow-logs.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]})
FLOW_LOG_TRUST_SCOPED = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["vpc-flow-logs.amazonaws.com"]}, "Action": ["sts:AssumeRole"],
     "Condition": {"StringEquals": {"aws:SourceAccount": "1"},
                   "ArnLike": {"aws:SourceArn": "arn:aws:ec2:r:1:vpc-flow-log/*"}}}]})
GRANTING_ADMIN_KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {**ROOT_ADMIN, "Action": ["kms:Create*", "kms:Describe*", "kms:Put*"]}]})
KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [ROOT_ADMIN, {
    "Sid": "Logs", "Effect": "Allow", "Principal": {"Service": "logs.r.amazonaws.com"}, "Action": ["kms:Encrypt*"],
    "Resource": "*", "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": ["arn:aws:logs:r:1:log-group:x"]}}}]})
OPEN_KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [ROOT_ADMIN, {
    "Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*"}]})
ALL_KMS_KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [ROOT_ADMIN, {
    "Sid": "Role", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, "Action": "kms:*", "Resource": "*"}]})

# policy, type, violating props, expected message fragment, compliant props, props with an unknown
RESOURCE_CASES = [
    ("eks-public-endpoint-restricted", CLUSTER, merged(GOOD_CLUSTER, vpcConfig__publicAccessCidrs=["0.0.0.0/0"]),
     "open to 0.0.0.0/0", GOOD_CLUSTER, merged(GOOD_CLUSTER, vpcConfig__publicAccessCidrs=UNKNOWN)),
    ("eks-public-endpoint-restricted", CLUSTER, merged(GOOD_CLUSTER, vpcConfig__publicAccessCidrs=None),
     "open to 0.0.0.0/0", merged(GOOD_CLUSTER, vpcConfig__endpointPublicAccess=False,
                                 vpcConfig__publicAccessCidrs=None), None),
    ("eks-secrets-encryption", CLUSTER, merged(GOOD_CLUSTER, encryptionConfig=None), "not envelope-encrypted",
     GOOD_CLUSTER, merged(GOOD_CLUSTER, encryptionConfig__provider__keyArn=UNKNOWN)),
    ("eks-control-plane-logging", CLUSTER, merged(GOOD_CLUSTER, enabledClusterLogTypes=["api"]),
     "['audit', 'authenticator', 'controllerManager', 'scheduler'] are not enabled", GOOD_CLUSTER,
     merged(GOOD_CLUSTER, enabledClusterLogTypes=UNKNOWN)),
    ("eks-supported-version", CLUSTER, merged(GOOD_CLUSTER, version="1.24"),
     "Kubernetes 1.24 is not in the version catalogue (1.31, 1.32", GOOD_CLUSTER, merged(GOOD_CLUSTER, version=UNKNOWN)),
    ("eks-version-support-window", CLUSTER, merged(GOOD_CLUSTER, version="1.34"),
     "Kubernetes 1.34 leaves EKS standard support in 7 days (2026-12-02, as of 2026-11-25), fewer than 60",
     GOOD_CLUSTER, merged(GOOD_CLUSTER, version=UNKNOWN)),
    ("eks-version-support-window", CLUSTER, merged(GOOD_CLUSTER, version="1.33"),
     "Kubernetes 1.33 left EKS standard support on 2026-07-29 (as of 2026-11-25)", GOOD_CLUSTER, None),
    ("eks-supported-version", CLUSTER, merged(GOOD_CLUSTER, version=None), "not pinned", GOOD_CLUSTER, None),
    ("eks-access-entries", CLUSTER, merged(GOOD_CLUSTER, accessConfig__authenticationMode="CONFIG_MAP"),
     "authentication mode CONFIG_MAP", GOOD_CLUSTER, merged(GOOD_CLUSTER, accessConfig__authenticationMode=UNKNOWN)),
    ("eks-remote-networks-valid", CLUSTER,
     merged(GOOD_CLUSTER, remoteNetworkConfig__remotePodNetworks__cidrs=["10.52.128.0/17"]),
     "overlaps remote network 10.52.0.0/16", GOOD_CLUSTER,
     merged(GOOD_CLUSTER, remoteNetworkConfig__remoteNodeNetworks__cidrs=UNKNOWN)),
    ("eks-remote-networks-valid", CLUSTER,
     merged(GOOD_CLUSTER, remoteNetworkConfig__remoteNodeNetworks__cidrs=["100.64.0.0/16"]),
     "not an IPv4 RFC 1918 range", merged(GOOD_CLUSTER, remoteNetworkConfig=None), None),
    ("eks-hybrid-endpoint-mode", CLUSTER, merged(GOOD_CLUSTER, vpcConfig__endpointPrivateAccess=True),
     "cannot use 'Public and Private' endpoint connectivity", merged(GOOD_CLUSTER, vpcConfig__endpointPrivateAccess=True,
                                                                   vpcConfig__endpointPublicAccess=False),
     merged(GOOD_CLUSTER, vpcConfig__endpointPrivateAccess=True, vpcConfig__endpointPublicAccess=UNKNOWN)),
    ("kms-key-policy-explicit", "aws:kms/key:Key", {"enableKeyRotation": True}, "no explicit key policy",
     {"enableKeyRotation": True, "policy": KEY_POLICY}, {"enableKeyRotation": True, "policy": UNKNOWN}),
    ("kms-key-policy-explicit", "aws:kms/key:Key", {"policy": OPEN_KEY_POLICY},
     "allows any principal (\"*\") without a condition", {"policy": KEY_POLICY}, None),
    ("kms-key-policy-explicit", "aws:kms/key:Key", {"policy": ALL_KMS_KEY_POLICY}, "gives kms:* to",
     {"policy": KEY_POLICY}, None),
    ("iam-service-trust-scoped", "aws:iam/role:Role", {"assumeRolePolicy": FLOW_LOG_TRUST_OPEN},
     "the role trusts vpc-flow-logs.amazonaws.com without aws:SourceAccount and aws:SourceArn",
     {"assumeRolePolicy": FLOW_LOG_TRUST_SCOPED}, {"assumeRolePolicy": UNKNOWN}),
    ("iam-service-trust-scoped", "aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}]})}, "without aws:SourceArn",
     {"assumeRolePolicy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]})}, None),
    ("kms-key-admin-grants-no-use", "aws:kms/key:Key", {"policy": GRANTING_ADMIN_KEY_POLICY},
     "statement 'Admin' administers the key and allows kms:Create*, which includes kms:CreateGrant",
     {"policy": KEY_POLICY}, {"policy": UNKNOWN}),
    ("secretsmanager-name-unambiguous", "aws:secretsmanager/secret:Secret", {"name": "eks-workshop-ide-origin-secret"},
     "ends in a hyphen and six characters", {"name": "eks-workshop-ide-origin-token"}, {"name": UNKNOWN}),
    ("cloudwatch-log-group-encrypted", "aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/eks/c/cluster"},
     "not encrypted with a customer KMS key", {"name": "/aws/eks/c/cluster", "kmsKeyId": "arn:aws:kms:r:1:key/k"},
     {"name": "/aws/eks/c/cluster", "kmsKeyId": UNKNOWN}),
    ("eks-deletion-protection", CLUSTER, merged(GOOD_CLUSTER, deletionProtection=False), "EKS deletion protection is off",
     GOOD_CLUSTER, merged(GOOD_CLUSTER, deletionProtection=UNKNOWN)),
    ("eks-zonal-shift", CLUSTER, merged(GOOD_CLUSTER, zonalShiftConfig=None), "ARC zonal shift is off",
     merged(GOOD_CLUSTER, zonalShiftConfig=None, computeConfig={"enabled": True}),  # Auto Mode: not supported
     merged(GOOD_CLUSTER, zonalShiftConfig=UNKNOWN)),
    ("eks-node-auto-repair", NG, merged(GOOD_NG, nodeRepairConfig={"enabled": False}), "node auto repair is off",
     GOOD_NG, merged(GOOD_NG, nodeRepairConfig=UNKNOWN)),
    ("iam-service-trust-scoped", "aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["eks.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]})},
     "the role trusts eks.amazonaws.com without aws:SourceAccount and aws:SourceArn",
     {"assumeRolePolicy": json.dumps({"Statement": [{
         "Effect": "Allow", "Principal": {"Service": ["eks.amazonaws.com"]}, "Action": ["sts:AssumeRole"],
         "Condition": {"StringEquals": {"aws:SourceAccount": "1"},
                       "ArnLike": {"aws:SourceArn": "arn:aws:eks:r:1:cluster/c"}}}]})}, None),
    ("eks-node-group-no-open-ssh", NG, merged(GOOD_NG, remoteAccess={"ec2SshKey": "k"}), "SSH from anywhere",
     merged(GOOD_NG, remoteAccess={"ec2SshKey": "k", "sourceSecurityGroupIds": ["sg-1"]}),
     merged(GOOD_NG, remoteAccess=UNKNOWN)),
    ("eks-vpc-cni-pinned-with-network-policy", ADDON, merged(CNI_GOOD, configurationValues="{}"),
     "network policy is off", CNI_GOOD, merged(CNI_GOOD, configurationValues=UNKNOWN)),
    ("eks-vpc-cni-pinned-with-network-policy", ADDON, merged(CNI_GOOD, addonVersion=None), "not pinned",
     merged(CNI_GOOD, addonName="coredns", addonVersion=None), None),
    ("ec2-imdsv2-required", LT, merged(GOOD_LT, metadataOptions__httpTokens="optional"), "allows IMDSv1",
     GOOD_LT, merged(GOOD_LT, metadataOptions__httpTokens=UNKNOWN)),
    ("ec2-imdsv2-required", LT, merged(GOOD_LT, metadataOptions__httpPutResponseHopLimit=2), "hop limit 2 exceeds 1",
     GOOD_LT, None),
    ("ec2-imdsv2-required", "aws:ec2/instance:Instance", {"instanceType": "t3.medium"}, "allows IMDSv1",
     {"metadataOptions": {"httpTokens": "required"}}, None),
    ("ec2-encrypted-root-volumes", LT, merged(GOOD_LT, blockDeviceMappings=[{"ebs": {"encrypted": "false"}}]),
     "not encrypted", GOOD_LT, merged(GOOD_LT, blockDeviceMappings=UNKNOWN)),
    ("ec2-encrypted-root-volumes", "aws:ec2/instance:Instance", {"instanceType": "t3.medium"},
     "no root volume is declared", {"rootBlockDevice": {"encrypted": True}}, None),
    ("ec2-node-launch-template-no-public-ip", LT,
     merged(GOOD_LT, networkInterfaces=[{"associatePublicIpAddress": "true"}]), "associates a public IP", GOOD_LT,
     merged(GOOD_LT, networkInterfaces=UNKNOWN)),
    ("eks-node-group-scaling-limits", NG, merged(GOOD_NG, scalingConfig__maxSize=50), "maxSize 50 exceeds the limit of 20",
     GOOD_NG, merged(GOOD_NG, scalingConfig=UNKNOWN)),
    ("ec2-instance-type-allowlist", NG, merged(GOOD_NG, instanceTypes=["p5.48xlarge"]), "['p5.48xlarge'] are not in",
     GOOD_NG, merged(GOOD_NG, instanceTypes=UNKNOWN)),
    ("security-group-no-open-ingress", "aws:ec2/securityGroup:SecurityGroup",
     {"ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}]},
     "ingress from 0.0.0.0/0 on ports 22-22",
     {"ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["10.0.0.0/8"]}]},
     {"ingress": UNKNOWN}),
    ("security-group-no-open-ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"},
     "ingress from ::/0 on ports 443-443",
     {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.52.0.0/16"},
     {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": UNKNOWN}),
    ("subnet-private-no-public-ip", "aws:ec2/subnet:Subnet",
     {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True, "tags": {"Name": "private"}},
     "maps public IPs on launch", {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": False},
     {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": UNKNOWN}),
    ("iam-no-admin-policies", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"role": "r", "policyArn": ADMIN}, "AdministratorAccess is attached",
     {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
     {"role": "r", "policyArn": UNKNOWN}),
    ("iam-no-admin-policies", "aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": STAR},
     "allows every action on every resource", {"role": "r", "policy": SCOPED}, {"role": "r", "policy": UNKNOWN}),
    ("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": False}, "rotation is off",
     {"enableKeyRotation": True}, {"enableKeyRotation": UNKNOWN}),
    ("cloudfront-https-only", "aws:cloudfront/distribution:Distribution",
     {"defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"}}, "allows plain HTTP",
     {"defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"}},
     {"defaultCacheBehavior": {"viewerProtocolPolicy": UNKNOWN}}),
    ("cloudfront-origin-access-restricted", "aws:cloudfront/distribution:Distribution", {"origins": [HTTP_ORIGIN]},
     "takes http-only requests from any CloudFront distribution",
     {"origins": [{**HTTP_ORIGIN, "customHeaders": [{"name": "X-Origin-Verify", "value": "s"}]}]},
     {"origins": UNKNOWN}),
    ("cloudfront-origin-https", "aws:cloudfront/distribution:Distribution", {"origins": [HTTP_ORIGIN]},
     "is reached over http-only", {"origins": [{**HTTP_ORIGIN, "customOriginConfig": {
         "originProtocolPolicy": "https-only"}}]}, {"origins": [{**HTTP_ORIGIN, "customOriginConfig": {
             "originProtocolPolicy": UNKNOWN}}]}),
    ("cloudfront-security-headers", "aws:cloudfront/distribution:Distribution",
     {"defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"}}, "has no response headers policy",
     {"defaultCacheBehavior": {"responseHeadersPolicyId": "67f7725c-6f97-4210-82d7-5512b31e9d03"}},
     {"defaultCacheBehavior": {"responseHeadersPolicyId": UNKNOWN}}),
    # An Auto Mode cluster's built-in node pools: neither cost guard can bound them; a standard cluster is
    # not judged by either.
    ("eks-node-group-scaling-limits", "aws:eks/cluster:Cluster",
     {"computeConfig": {"enabled": True, "nodePools": ["general-purpose"]}},
     "EKS Auto Mode's built-in node pools ['general-purpose'] launch as many nodes as pending pods need",
     {"computeConfig": {"enabled": False, "nodePools": []}}, None),
    ("ec2-instance-type-allowlist", "aws:eks/cluster:Cluster",
     {"computeConfig": {"enabled": True, "nodePools": ["system"]}},
     "EKS Auto Mode's built-in node pools ['system'] choose their instance types themselves", {"name": "c"}, None),
    ("required-tags", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16", "tags": {"env": "x"}},
     "missing required tags ['created-by']", {"cidrBlock": "10.0.0.0/16", "tags": {"env": "x", "created-by": "y"}},
     {"cidrBlock": "10.0.0.0/16", "tags": UNKNOWN}),
    # The hybrid nodes' gateway attachment and Roles Anywhere anchor carry the workshop's tags too.
    ("required-tags", "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
     {"transitGatewayId": "tgw-0123456789abcdef0", "tags": {"env": "x"}}, "missing required tags ['created-by']",
     {"transitGatewayId": "tgw-0123456789abcdef0", "tags": {"env": "x", "created-by": "y"}}, None),
    ("required-tags", "aws:rolesanywhere/trustAnchor:TrustAnchor", {"name": "a"}, "missing required tags",
     {"name": "a", "tags": {"env": "x", "created-by": "y"}}, None),
    # The workshop IDE's parts carry `workshop-ide` instead of the workshop tags (the labs must not find
    # its VPC); an empty `workshop-ide` key set is no excuse.
    ("required-tags", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/24", "tags": {"Name": "ide", "ide": "x"}},
     "missing required tags ['created-by', 'env']",
     {"cidrBlock": "10.0.0.0/24", "tags": {"Name": "ide", "workshop-ide": "eks-workshop"}}, None),
    ("required-tags", "aws:iam/policy:Policy", {"policy": SCOPED, "tags": {"created-by": "y"}},
     "missing required tags ['env']", {"policy": SCOPED, "tags": {"workshop-ide": "eks-workshop"}}, None),
    # IAM Roles Anywhere's trust names the anchor (the hybrid nodes' IRA role).
    ("iam-service-trust-scoped", "aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:AssumeRole"}]})},
     "the role trusts rolesanywhere.amazonaws.com without aws:SourceArn",
     {"assumeRolePolicy": json.dumps({"Statement": [
         {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:AssumeRole",
          "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:rolesanywhere:r:1:trust-anchor/t"}}}]})}, None),
]


@pytest.mark.parametrize("policy,type_,bad,fragment,good,unknown", RESOURCE_CASES,
                         ids=[f"{c[0]}#{i}" for i, c in enumerate(RESOURCE_CASES)])
def test_resource_policy(pack, policy, type_, bad, fragment, good, unknown):
    found = messages(pack, policy, type_, bad)
    assert any(fragment in m for m in found), found
    assert messages(pack, policy, type_, good) == []
    if unknown is not None:
        pack.configure(dated({"all": "mandatory"}))
        verdict = [v for v in pack.analyze(resource(type_, unknown)) if v.policy == policy]
        # An unknown value is never a violation; at most the SDK's advisory "can't run during preview".
        assert all(v.enforcement == "advisory" and "during preview" in v.message for v in verdict), verdict


def test_version_policies_judge_the_date_they_are_given(pack):
    def last_lines(found: list[str]) -> list[str]:  # the SDK puts the policy's description first
        return [m.splitlines()[-1] for m in found]

    config = {"eks-supported-version": {"asOf": "2026-11-27"}}
    assert last_lines(messages(pack, "eks-supported-version", CLUSTER, merged(GOOD_CLUSTER, version="1.31"),
                               config)) == [
        "Kubernetes 1.31 left EKS extended support on 2026-11-26 (as of 2026-11-27): EKS creates no such cluster "
        "and upgrades existing ones itself"]
    assert messages(pack, "eks-supported-version", CLUSTER, merged(GOOD_CLUSTER, version="1.31"),
                    {"eks-supported-version": {"asOf": "2026-11-26"}}) == []
    # Sixty days left is still enough; fifty-nine is not.
    assert messages(pack, "eks-version-support-window", CLUSTER, GOOD_CLUSTER,
                    {"eks-version-support-window": {"asOf": "2027-01-26"}}) == []
    found = messages(pack, "eks-version-support-window", CLUSTER, GOOD_CLUSTER,
                     {"eks-version-support-window": {"asOf": "2027-01-27"}})
    assert last_lines(found) == ["Kubernetes 1.35 leaves EKS standard support in 59 days (2027-03-27, as of 2027-01-27), "
                     "fewer than 60: upgrade one minor now"]
    assert messages(pack, "eks-version-support-window", CLUSTER, GOOD_CLUSTER,
                    {"eks-version-support-window": {"asOf": "2027-01-27", "minDaysOfStandardSupport": 30}}) == []


def test_policy_config_tunes_a_policy(pack):
    config = {"eks-public-endpoint-restricted": {"allowedCidrs": ["203.0.113.0/24"]}}
    found = messages(pack, "eks-public-endpoint-restricted", CLUSTER, GOOD_CLUSTER, config)
    assert any("outside the allowed" in m for m in found), found
    assert messages(pack, "security-group-no-open-ingress", "aws:ec2/securityGroup:SecurityGroup",
                    {"ingress": [{"fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}]},
                    {"security-group-no-open-ingress": {"allowedPorts": [80]}}) == []


# ------------------------------------------------------------------ stack policies


def stack_violations(pack, resources, policy: str, config: dict | None = None) -> list[str]:
    pack.configure(dated(config or {"all": "mandatory"}))
    return [v.message for v in pack.analyze_stack(resources) if v.policy == policy]


def test_flow_logs_stack_policy(pack):
    vpc = resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, "vpc")
    flow = resource("aws:ec2/flowLog:FlowLog", {"vpcId": "vpc-1", "trafficType": "ALL"}, "fl",
                    property_dependencies={"vpcId": [vpc.urn]})
    assert any("has no flow log" in m for m in stack_violations(pack, [vpc], "vpc-flow-logs-enabled"))
    assert stack_violations(pack, [vpc, flow], "vpc-flow-logs-enabled") == []


def test_default_security_group_stack_policy(pack):
    vpc = resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, "vpc")
    deps = {"vpcId": [vpc.urn]}
    closed = resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"vpcId": "v"}, "dsg",
                      property_dependencies=deps)
    open_ = resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                     {"vpcId": "v", "ingress": [{"fromPort": 0, "toPort": 0, "protocol": "-1", "self": True}]},
                     "dsg", property_dependencies=deps)
    policy = "vpc-default-security-group-closed"
    assert any("not adopted" in m for m in stack_violations(pack, [vpc], policy))
    assert any("has rules" in m for m in stack_violations(pack, [vpc, open_], policy))
    assert stack_violations(pack, [vpc, closed], policy) == []


def test_protect_stack_policy(pack):
    unprotected = [resource(t, {}, f"r{i}") for i, t in
                   enumerate(("aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:kms/key:Key"))]
    protected = [resource(r.type, {}, r.name, protect=True) for r in unprotected]
    assert len(stack_violations(pack, unprotected, "stateful-resources-protected")) == 3
    assert stack_violations(pack, protected, "stateful-resources-protected") == []


# ------------------------------------------------------------------ the pack as the CLI sees it


def test_analyzer_info_lists_every_policy_with_level_and_schema(pack):
    import guardrails

    info = {p.name: p for p in pack.info().policies}
    assert set(info) == {p.name for p in guardrails.ALL_POLICIES} and len(info) >= 22
    assert pack.info().name == "eks-workshop-guardrails"
    levels = {name: p.enforcementLevel for name, p in info.items()}
    assert levels["eks-public-endpoint-restricted"] == 1  # MANDATORY
    assert levels["required-tags"] == 0  # ADVISORY
    schema = dict(info["eks-public-endpoint-restricted"].configSchema.properties)
    assert "allowedCidrs" in schema
    for p in info.values():
        assert p.description and p.remediation_steps and p.severity, p.name


def test_every_policy_is_in_the_mapping_table(pack):
    table = (ROOT / "policies" / "README.md").read_text()
    for p in pack.info().policies:
        assert f"| `{p.name}` |" in table, p.name


def test_policy_config_files_name_only_real_policies(pack):
    names = {p.name for p in pack.info().policies} | {"all"}
    for stack in ("dev", "staging", "prod"):
        assert set(load_policy_config(stack)) <= names, stack


def test_prod_makes_every_policy_mandatory(pack):
    levels = pack.configure(dated(load_policy_config("prod")))
    assert set(levels.values()) == {"mandatory"}


def test_prods_teardown_lifts_each_guard_without_an_up_the_pack_would_refuse(pack):
    """An `up` that lifts prod's guards is refused by prod's pack (as every other such change should be), so
    docs/deploy.md's teardown lifts them outside an `up`: EKS deletion protection with the AWS CLI, protect
    in the state only. Each guard the pack holds prod to has its step there."""
    pack.configure(dated(load_policy_config("prod")))
    cluster = {**load_stack_config("prod")["eks-workshop:cluster"], "deletionProtection": False}
    run = run_stack("prod", overrides={"eks-workshop:protect": False, "eks-workshop:cluster": cluster})
    refused = {v.policy for v in pack.analyze_run(run) if v.enforcement == "mandatory"}
    assert refused == {"stateful-resources-protected", "eks-deletion-protection"}
    runbook = (ROOT / "docs" / "deploy.md").read_text().split("## Tearing down", 1)[1].split("\n## ", 1)[0]
    assert "--no-deletion-protection" in runbook and "pulumi state unprotect --all" in runbook
    assert "eks-workshop:protect' false" not in runbook  # the old step: an `up` prod's pack refuses


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_stack_passes_the_pack_at_its_levels(pack, stack):
    pack.configure(dated(load_policy_config(stack)))
    violations = pack.analyze_run(run_stack(stack))
    assert [v for v in violations if v.enforcement == "mandatory"] == []
    if stack == "dev":
        # The ones the workshop accepts on purpose: its API endpoint is open to the internet, public and
        # private endpoints together with hybrid nodes' remote networks, and the labs' Kubernetes minor in
        # extended support (docs/security.md).
        assert {v.policy for v in violations} == DEV_ADVISORIES
        assert all(v.enforcement == "advisory" for v in violations)
    else:
        assert violations == []


def test_a_bad_program_change_is_caught_end_to_end(pack):
    pack.configure(dated(load_policy_config("prod")))
    run = run_stack("prod", overrides={"eks-workshop:protect": False, "eks-workshop:network": {"flowLogs": False}})
    policies = {v.policy for v in pack.analyze_run(run) if v.enforcement == "mandatory"}
    assert policies == {"stateful-resources-protected", "vpc-flow-logs-enabled"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_stack_passes_the_pack_in_preview_where_values_are_unknown(pack, stack):
    """What the credentialed PR check sees: a new stack's computed values are unknown to the pack."""
    pack.configure(dated(load_policy_config(stack)))
    run = run_stack(stack, preview=True)
    assert any(UNKNOWN in json.dumps(r.inputs) for r in run.resources)  # the run really has unknowns
    violations = pack.analyze_run(run)
    assert [v for v in violations if v.enforcement == "mandatory"] == []
    accepted = DEV_ADVISORIES if stack == "dev" else set()
    for v in violations:
        assert v.policy in accepted or "during preview" in v.message, v
    # A key named but not yet created still counts as encryption: no "can't run" for it.
    assert not [v for v in violations if v.policy == "eks-secrets-encryption"]


# ------------------------------------------------------------------ started and configured as the CLI does


def test_pack_runs_from_its_own_virtualenv_with_the_clis_command_line_and_environment(pack):
    pack_dir = ROOT / "policies"
    assert pack.command == [str(pack_dir / "venv" / "bin" / "python"), "-u", "-m", "pulumi.policy", "127.0.0.1:0",
                            str(pack_dir)]
    environ = dict(item.split("=", 1) for item in
                   Path(f"/proc/{pack.process.pid}/environ").read_text().split("\0") if "=" in item)
    assert (environ["PULUMI_PROJECT"], environ["PULUMI_STACK"], environ["PULUMI_DRY_RUN"]) == ("eks-workshop", "dev", "true")
    assert environ["PULUMI_ORGANIZATION"] == "organization"
    config = json.loads(environ["PULUMI_CONFIG"])
    assert config["aws:region"] == "ap-northeast-2" and json.loads(config["eks-workshop:cluster"])["name"] == "eks-workshop"
    assert Path(f"/proc/{pack.process.pid}/cwd").resolve() == pack_dir


def test_a_bad_enforcement_level_is_refused_as_the_cli_does(pack):
    from offline.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError, match='parsing enforcement level for "required-tags": "sometimes" is not a '
                                                "valid enforcement level"):
        pack.configure({"required-tags": "sometimes"})
    with pytest.raises(PolicyConfigError, match='parsing enforcement level for "all": "strict"'):
        pack.configure({"all": "strict"})


def test_a_property_against_the_policys_schema_is_refused_as_the_cli_does(pack):
    from offline.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError) as err:
        pack.configure({"eks-node-group-scaling-limits": {"maxNodes": "many"}})
    assert str(err.value) == (f"validating policy config: eks-workshop-guardrails {pack.info().version}  "
                              "eks-node-group-scaling-limits: maxNodes: 'many' is not of type 'integer'")
    pack.configure({"eks-node-group-scaling-limits": {"maxNodes": 8}})  # the same key, valid


def test_a_date_property_must_be_a_date_as_the_cli_checks_formats(pack):
    from offline.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError) as err:
        pack.configure({"eks-supported-version": {"asOf": "2026-13-01"}})
    assert str(err.value) == (f"validating policy config: eks-workshop-guardrails {pack.info().version}  "
                              "eks-supported-version: asOf: Does not match format 'date'")
    pack.configure({"eks-supported-version": {"asOf": "2026-12-01"}})  # a real date


def test_properties_for_a_policy_the_pack_does_not_have_are_refused(pack):
    from offline.analyzer import PolicyConfigError

    with pytest.raises(PolicyConfigError) as err:
        pack.configure({"eks-public-endpoint-restriced": {"allowedCidrs": ["203.0.113.0/24"]}})
    assert str(err.value) == (f'"eks-public-endpoint-restriced" is not a policy of eks-workshop-guardrails '
                              f"{pack.info().version}; its properties ['allowedCidrs'] would configure nothing")
    # A level alone for an unknown name configures nothing either, and the CLI takes it: so does this.
    pack.configure({"eks-public-endpoint-restriced": "mandatory"})
    pack.configure({"eks-public-endpoint-restricted": {"allowedCidrs": ["203.0.113.0/24"]}})


def test_make_plan_reports_a_bad_policy_config_as_one_error(tmp_path, monkeypatch, capsys):
    import offline.analyzer
    from offline.plan import main

    bad = tmp_path / "config"
    bad.mkdir()
    (bad / "dev.json").write_text(json.dumps({"ec2-instance-type-allowlist": {"allowedInstanceTypes": "m5.large"}}))
    monkeypatch.setattr(offline.analyzer, "load_policy_config",
                        lambda stack, root=bad.parent: json.loads((bad / f"{stack}.json").read_text()))
    assert main(["--stack", "dev", "--out-dir", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: dev: policies/config/dev.json: validating policy config: eks-workshop-guardrails")
    assert "ec2-instance-type-allowlist: allowedInstanceTypes: 'm5.large' is not of type 'array'" in error


def test_a_missing_pack_virtualenv_says_what_to_do(tmp_path):
    from offline.pack_env import pack_python

    (tmp_path / "PulumiPolicy.yaml").write_text((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    with pytest.raises(RuntimeError, match="virtualenv .* is missing or not installed from .*uv.lock: run `make install`"):
        pack_python(tmp_path)
    # Half a virtualenv (an interpreter, no stamp) is not one either.
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    with pytest.raises(RuntimeError, match="is missing or not installed"):
        pack_python(tmp_path)


def test_a_test_session_without_the_pack_environment_stops_with_one_message(tmp_path):
    for name in ("tests", "offline", "workshop", "components", "estimates", "pytest.ini"):
        src = ROOT / name
        (shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
         if src.is_dir() else shutil.copy(src, tmp_path / name))
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    for stack_file in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, tmp_path / stack_file.name)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-o", "addopts=", "tests/test_docs.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    message = (f"the policy pack's virtualenv {tmp_path / 'policies' / 'venv'} is missing or not installed from "
               f"{tmp_path / 'policies' / 'uv.lock'}: run `make install`")
    # One message, no test collected or run, no failures or errors reported per test.
    assert [line for line in result.stdout.splitlines() if line.strip()] == [f"! _pytest.outcomes.Exit: {message} !"]


def test_required_tags_covers_every_tagged_type_the_program_creates():
    import guardrails.iam_data as iam_data

    tagged = {r.type for s in ("dev", "staging", "prod") for r in run_stack(s).resources
              if r.custom and "tags" in r.inputs}
    assert sorted(tagged - set(iam_data.TAGGABLE)) == []


def test_the_pack_knows_the_same_log_types_and_rfc1918_ranges_as_the_config():
    # The pack runs standalone under the Pulumi CLI (its own copies); the config's are the source.
    import guardrails.common as common
    import guardrails.eks as eks
    from workshop.config import CONTROL_PLANE_LOG_TYPES, RFC1918

    assert tuple(eks.LOG_TYPES) == CONTROL_PLANE_LOG_TYPES
    assert common.RFC1918 == RFC1918


def test_the_imds_remediation_says_the_hop_limit_the_check_allows():
    import guardrails.compute as compute

    (policy,) = [p for p in compute.POLICIES if p.name == "ec2-imdsv2-required"]
    assert policy.config_schema is not None and policy.remediation_steps is not None
    default = policy.config_schema.properties["maxHopLimit"]["default"]
    assert f"httpPutResponseHopLimit: {default}" in policy.remediation_steps
    # ... and the limit the config gives node groups by default.
    from workshop.config import NodeGroupConfig

    assert NodeGroupConfig().metadata_hop_limit == default


def test_the_pack_readme_lists_every_policy_with_its_default_level_and_severity():
    import re

    from guardrails import ALL_POLICIES

    rows = {}
    for line in (ROOT / "policies" / "README.md").read_text().splitlines():
        if m := re.match(r"^\| `([a-z0-9-]+)` \| ([a-z]+)[^|]* \| ([a-z]+) \|", line):
            rows[m.group(1)] = (m.group(2), m.group(3))
    pack = {p.name: (getattr(p.enforcement_level, "value", None), getattr(p.severity, "value", None))
            for p in ALL_POLICIES}
    assert rows == pack


def test_every_policy_has_a_violating_and_a_compliant_case():
    from pulumi_policy import StackValidationPolicy

    from guardrails import ALL_POLICIES

    resource = {p.name for p in ALL_POLICIES if not isinstance(p, StackValidationPolicy)}
    stack = {p.name for p in ALL_POLICIES if isinstance(p, StackValidationPolicy)}
    assert resource == {case[0] for case in RESOURCE_CASES}
    # The stack policies have a test each, above.
    assert stack == {"vpc-flow-logs-enabled", "vpc-default-security-group-closed", "stateful-resources-protected"}
