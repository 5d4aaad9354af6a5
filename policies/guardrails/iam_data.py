"""IAM permissions, KMS keys, CloudFront, and tagging."""

from __future__ import annotations

import fnmatch
import json
import re

from pulumi_policy import EnforcementLevel, Severity

from .common import dig, has_key, resource_policy

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
KMS_KEY = "aws:kms/key:Key"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# Types this program creates that take tags; a type missing its `tags` input is untagged.
TAGGABLE = (
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable", "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/flowLog:FlowLog",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/instanceProfile:InstanceProfile", "aws:kms/key:Key", "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:secretsmanager/secret:Secret",
    "aws:cloudfront/distribution:Distribution", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:rolesanywhere/trustAnchor:TrustAnchor", "aws:rolesanywhere/profile:Profile",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
)
ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _admin_statements(document) -> bool:
    try:
        doc = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return False
    for statement in _as_list((doc or {}).get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        actions, resources = _as_list(statement.get("Action", [])), _as_list(statement.get("Resource", []))
        if ("*" in actions or "*:*" in actions) and "*" in resources:
            return True
    return False


def _no_admin(props, config, report):
    arns = [props.get("policyArn")] + list(props.get("managedPolicyArns") or [])
    if any(str(a).endswith(ADMIN_POLICY_SUFFIX) for a in arns if a):
        report("AdministratorAccess is attached; grant the specific permissions the role needs")
    documents = [props.get("policy")] + [p.get("policy") for p in props.get("inlinePolicies") or []]
    if any(_admin_statements(d) for d in documents if d):
        report("a policy allows every action on every resource (\"*\" on \"*\")")


def _kms_rotation(props, config, report):
    spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and props.get("enableKeyRotation") is not True:
        report("KMS key rotation is off (enableKeyRotation)")


def _explicit_key_policy(props, config, report):
    if not has_key(props, "policy"):
        report("the key has no explicit key policy (policy): AWS's default lets every IAM principal the "
               "account allows use it; name who administers and who uses the key")
        return
    raw = props.get("policy")
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        report("the key policy is not valid JSON")
        return
    for s in _as_list((document or {}).get("Statement")):
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        aws_principals = _as_list(principal.get("AWS")) if isinstance(principal, dict) else [principal]
        if "*" in aws_principals and not s.get("Condition"):
            report(f"statement {s.get('Sid', '')!r} allows any principal (\"*\") without a condition")
        actions = _as_list(s.get("Action"))
        if ("kms:*" in actions or "*" in actions) and not all(str(p).endswith(":root") for p in aws_principals):
            report(f"statement {s.get('Sid', '')!r} gives kms:* to {aws_principals}: grant the use or the "
                   "administration of the key, not everything")


# Services AWS documents as sending the confused-deputy keys when they assume a role, and the keys a
# trust in them must be conditioned on: VPC Flow Logs (VPC user guide, "IAM role for publishing flow logs
# to CloudWatch Logs"), Systems Manager hybrid activations (SSM user guide, "Create the IAM service role
# for a hybrid environment"), EKS for the cluster role (EKS user guide, "Cross-service confused deputy
# prevention", 2025-08-19). A condition a service doesn't satisfy would deny the role to it, so the
# services below without them say why; every service principal the program trusts is in one table or
# the other (tests/test_trust.py).
SCOPED_SERVICES = {
    "vpc-flow-logs.amazonaws.com": ("aws:SourceAccount", "aws:SourceArn"),
    "ssm.amazonaws.com": ("aws:SourceAccount", "aws:SourceArn"),
    "eks.amazonaws.com": ("aws:SourceAccount", "aws:SourceArn"),
    # IAM Roles Anywhere sends the trust anchor's ARN (EKS guide, hybrid nodes' IRA trust policy).
    "rolesanywhere.amazonaws.com": ("aws:SourceArn",),
}
UNSCOPED_SERVICES = {
    "ec2.amazonaws.com": "an instance profile's role (nodes, the IDE): EC2 documents no aws:SourceArn or "
                         "aws:SourceAccount for instance-profile credentials, and the role can only be used by "
                         "instances it is attached to, which iam:PassRole on the deployer governs",
}


def _trust_scoped(props, config, report):
    raw = props.get("assumeRolePolicy")
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return
    for s in _as_list((document or {}).get("Statement") if isinstance(document, dict) else None):
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or not isinstance(s.get("Principal"), dict):
            continue
        keys = {k.lower() for conditions in (s.get("Condition") or {}).values() if isinstance(conditions, dict)
                for k in conditions}
        for service in _as_list(s["Principal"].get("Service")):
            missing = [k for k in SCOPED_SERVICES.get(service, ()) if k.lower() not in keys]
            if missing:
                report(f"the role trusts {service} without {' and '.join(missing)}: any account's "
                       f"{service.split('.')[0]} could be made to assume it (confused deputy)")


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), str(pattern).lower())


USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
               "kms:GenerateDataKeyWithoutPlaintext", "kms:Sign", "kms:Verify", "kms:GenerateMac")


def _admin_grants_no_use(props, config, report):
    raw = props.get("policy")
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return  # kms-key-policy-explicit reports it
    for s in _as_list((document or {}).get("Statement") if isinstance(document, dict) else None):
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(s.get("Action"))]
        uses = any(_matches(a, use) for a in actions for use in USE_ACTIONS)
        grants = [a for a in actions if _matches(a, "kms:CreateGrant")]
        if not uses and grants:
            report(f"statement {s.get('Sid', '')!r} administers the key and allows {grants[0]}, which includes "
                   "kms:CreateGrant: a grant gives use of the key without a policy change; list the "
                   "administration actions (kms:CreateAlias, not kms:Create*)")


SUFFIX_LIKE = re.compile(r"-[A-Za-z0-9]{6}$")


def _secret_name_unambiguous(props, config, report):
    name = props.get("name")
    if isinstance(name, str) and SUFFIX_LIKE.search(name):
        report(f"secret name {name!r} ends in a hyphen and six characters, like the suffix Secrets Manager "
               "appends to every secret's ARN: a partial ARN may then match another secret")


def _log_group_encrypted(props, config, report):
    if not has_key(props, "kmsKeyId"):
        report("the log group is not encrypted with a customer KMS key (kmsKeyId)")


def _cache_behaviors(props) -> list:
    """The default cache behavior and the ordered ones: each is checked alike."""
    return [props.get("defaultCacheBehavior") or {}] + list(props.get("orderedCacheBehaviors") or [])


def _https_only(props, config, report):
    behaviors = _cache_behaviors(props)
    for b in behaviors:
        if b.get("viewerProtocolPolicy") == "allow-all":
            report(f"cache behavior {b.get('pathPattern', 'default')} allows plain HTTP: use redirect-to-https")


def _custom_origins(props):
    return [o for o in props.get("origins") or [] if o.get("customOriginConfig")]


def _origin_access_restricted(props, config, report):
    for origin in _custom_origins(props):
        policy = dig(origin, "customOriginConfig.originProtocolPolicy")
        if policy != "https-only" and not origin.get("customHeaders"):
            report(f"origin {origin.get('originId')} takes {policy} requests from any CloudFront distribution: "
                   "add a secret custom header the origin requires, or use a VPC origin")


def _origin_https(props, config, report):
    for origin in _custom_origins(props):
        policy = dig(origin, "customOriginConfig.originProtocolPolicy")
        if policy != "https-only":
            report(f"origin {origin.get('originId')} is reached over {policy}: traffic from CloudFront to the "
                   "origin is not encrypted")


def _security_headers(props, config, report):
    behaviors = _cache_behaviors(props)
    for b in behaviors:
        if not has_key(b, "responseHeadersPolicyId"):
            report(f"cache behavior {b.get('pathPattern', 'default')} has no response headers policy "
                   "(security headers such as HSTS)")


def _required_tags(props, config, report):
    required = config.get("requiredTags", ["created-by", "env"])
    tags = props.get("tags") or {}
    missing = [t for t in required if t not in tags]
    # The workshop IDE's resources carry `workshop-ide` instead: the labs find the cluster's network by
    # created-by and env, and must not find the IDE's (wiring.py IDE_TAG).
    alternatives = config.get("alternativeTags", [["workshop-ide"]])
    if missing and not any(alt and all(t in tags for t in alt) for alt in alternatives):
        report(f"missing required tags {missing}")


POLICIES = [
    resource_policy(
        "iam-no-admin-policies",
        "No role gets AdministratorAccess or a policy allowing * on *.",
        [ROLE, ATTACHMENT, *INLINE_POLICIES], _no_admin, severity=Severity.CRITICAL,
        remediation="Attach scoped managed policies or write least-privilege statements."),
    resource_policy(
        "iam-service-trust-scoped",
        "A role trusted by a service that sends aws:SourceAccount and aws:SourceArn is conditioned on both.",
        [ROLE], _trust_scoped, severity=Severity.HIGH,
        remediation="Add StringEquals aws:SourceAccount and ArnLike aws:SourceArn to the trust statement "
                    "(components/iam.py service_trust_policy source_account, source_arn)."),
    resource_policy(
        "kms-key-rotation",
        "Symmetric KMS keys rotate automatically.",
        [KMS_KEY], _kms_rotation, severity=Severity.MEDIUM,
        remediation="Set enableKeyRotation true."),
    resource_policy(
        "kms-key-policy-explicit",
        "Every KMS key has an explicit key policy: the account administers it, named principals use it.",
        [KMS_KEY], _explicit_key_policy, severity=Severity.HIGH,
        remediation="Set policy on the key (components/kms.py key_policy): an administration statement for the "
                    "account and a use statement for the service or role that needs the key."),
    resource_policy(
        "kms-key-admin-grants-no-use",
        "A key policy's administration statement does not let its principal use the key, grants included.",
        [KMS_KEY], _admin_grants_no_use, severity=Severity.HIGH,
        remediation="List the administration actions (components/kms.py ADMIN_ACTIONS): kms:CreateAlias "
                    "instead of kms:Create*, kms:PutKeyPolicy instead of kms:Put*."),
    resource_policy(
        "secretsmanager-name-unambiguous",
        "Secret names don't end in a hyphen and six characters (Secrets Manager's ARN suffix).",
        ["aws:secretsmanager/secret:Secret"], _secret_name_unambiguous, severity=Severity.LOW,
        remediation="End the name in something else (components/ide/ide.py: -ide-origin-token, not "
                    "-ide-origin-secret)."),
    resource_policy(
        "cloudwatch-log-group-encrypted",
        "CloudWatch log groups are encrypted with a customer KMS key.",
        [LOG_GROUP], _log_group_encrypted, severity=Severity.MEDIUM,
        remediation="Set eks-workshop:logEncryption true (the stack's log key), or kmsKeyId on the log group."),
    resource_policy(
        "cloudfront-https-only",
        "CloudFront viewers are redirected to HTTPS (or HTTPS only).",
        [DISTRIBUTION], _https_only, severity=Severity.HIGH,
        remediation="Set viewerProtocolPolicy to redirect-to-https or https-only on every cache behavior."),
    resource_policy(
        "cloudfront-origin-access-restricted",
        "A custom origin answers only this distribution: HTTPS-only or a secret header the origin requires.",
        [DISTRIBUTION], _origin_access_restricted, severity=Severity.HIGH,
        remediation="Add a customHeaders entry with a generated value and reject requests without it at the origin."),
    resource_policy(
        "cloudfront-origin-https",
        "CloudFront reaches custom origins over HTTPS.",
        [DISTRIBUTION], _origin_https, severity=Severity.MEDIUM, enforcement=EnforcementLevel.ADVISORY,
        remediation="Set originProtocolPolicy https-only with a certificate CloudFront trusts on the origin."),
    resource_policy(
        "cloudfront-security-headers",
        "Every cache behavior adds security headers through a response headers policy.",
        [DISTRIBUTION], _security_headers, severity=Severity.MEDIUM,
        remediation="Set responseHeadersPolicyId (the managed SecurityHeadersPolicy: "
                    "67f7725c-6f97-4210-82d7-5512b31e9d03)."),
    resource_policy(
        "required-tags",
        "Taggable resources carry the required tags.",
        TAGGABLE, _required_tags, severity=Severity.LOW, enforcement=EnforcementLevel.ADVISORY,
        remediation="Pass the stack's tags (eks-workshop:tags and the workshop tags) to the resource.",
        config={"requiredTags": {"type": "array", "items": {"type": "string"},
                                 "default": ["created-by", "env"]},
                "alternativeTags": {"type": "array", "items": {"type": "array", "items": {"type": "string"}},
                                    "default": [["workshop-ide"]]}}),
]
