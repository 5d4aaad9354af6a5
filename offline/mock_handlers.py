"""The mock engine's answers, one handler per resource type or invoke: what AWS would return.

Resources get deterministic IDs and the computed outputs the program relies on (ARNs, the cluster
endpoint and CA data, the OIDC issuer, the cluster security group). The resource-type table
(offline/resource_types.py) names each type's handler; INVOKES maps each data source the program
calls. offline/mocks.py routes registrations and invokes here.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from offline.wire import SECRET_SIG, SECRET_SIG_KEY
from workshop.upgrade_guard import ssm_parameter_not_found

# The account of a stack that pins none (`aws:allowedAccountIds`): AWS's documentation example.
ACCOUNT_ID = "123456789012"
PARTITION = "aws"


class MockAccount(Protocol):
    """What a handler reads of the mock engine: the region and what already exists in the account."""

    region: str
    account: str  # the stack's pinned account (aws:allowedAccountIds), else ACCOUNT_ID
    live: dict[str, Any]  # cluster name -> workshop.upgrade_guard.LiveCluster
    missing_parameters: frozenset[str]  # SSM parameter names that don't exist in the region
    log_groups: frozenset[str]  # CloudWatch log groups that exist in the account

    def arn(self, service: str, resource: str, region: bool = True) -> str: ...


class ProviderError(Exception):
    """What AWS answers with an error (not found, access denied): the program sees a failed invoke."""


def hex_id(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def named(prefix: str, service: str, arn_path: str | None = None, name_key: str = "name",
           region: bool = True) -> Callable[[MockAccount, str, dict], tuple[str, dict]]:
    """A resource whose ID is `<prefix>-<hex>` and, if it has one, ARN `<service>:…:<arn_path>/<id>`."""

    def handler(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
        id_ = f"{prefix}-{hex_id(m.region, name)}" if prefix else inputs.get(name_key) or f"{name}-{hex_id(name, n=7)}"
        out: dict[str, Any] = {"id": id_}
        if arn_path is not None:
            out["arn"] = m.arn(service, f"{arn_path}/{id_}", region)
        return id_, out

    return handler


def kubernetes(name: str, inputs: dict) -> tuple[str, dict]:
    """Kubernetes objects: the API server fills in the name (auto-named if unset), uid and status."""
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", f"{name}-{hex_id(name, n=8)}")
    metadata["uid"] = hex_id("uid", name, n=32)
    namespace = metadata.get("namespace")
    id_ = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    return id_, {**inputs, "metadata": metadata, "status": {}}


def vpc(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"vpc-{hex_id(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"vpc/{id_}"), "defaultSecurityGroupId": f"sg-{hex_id(id_, 'default')}",
                 "mainRouteTableId": f"rtb-{hex_id(id_, 'main')}", "ownerId": m.account}


def subnet(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"subnet-{hex_id(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"subnet/{id_}"), "ownerId": m.account,
                 "mapPublicIpOnLaunch": inputs.get("mapPublicIpOnLaunch", False)}


def eip(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    h = int(hex_id(m.region, name, n=4), 16)
    return f"eipalloc-{hex_id(m.region, name)}", {"publicIp": f"203.0.113.{h % 254 + 1}",
                                                 "allocationId": f"eipalloc-{hex_id(m.region, name)}"}


def physical_name(inputs: dict, name: str, key: str = "name") -> str:
    """AWS auto-naming: the given name, the given prefix plus a suffix (`namePrefix`, 26 characters as the
    provider's), or the logical name plus a random-looking suffix."""
    if inputs.get(key):
        return inputs[key]
    if inputs.get("namePrefix"):
        return f"{inputs['namePrefix']}{hex_id(name, n=26)}"
    return f"{name}-{hex_id(name, n=7)}"


def iam_role(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    role = physical_name(inputs, name)
    return role, {"name": role, "arn": f"arn:{PARTITION}:iam::{m.account}:role/{role}",
                  "uniqueId": f"AROA{hex_id(role, n=17).upper()}"}


def iam_policy(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    """A customer managed policy: AWS's ID is its ARN."""
    policy = physical_name(inputs, name)
    arn = f"arn:{PARTITION}:iam::{m.account}:policy{inputs.get('path') or '/'}{policy}"
    return arn, {"name": policy, "arn": arn, "policyId": f"ANPA{hex_id(policy, n=17).upper()}", "path": "/"}


def role_policy(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    """An inline policy: AWS's ID is `<role name>:<policy name>`; the name is generated when unset."""
    policy = physical_name(inputs, f"{name}-policy")
    return f"{inputs.get('role', '')}:{policy}", {"name": policy}


def log_group(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    group = physical_name(inputs, name)
    return group, {"name": group, "arn": m.arn("logs", f"log-group:{group}")}


def kms_key(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    h = hex_id(m.region, name, n=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return key_id, {"keyId": key_id, "arn": m.arn("kms", f"key/{key_id}")}


def cluster(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    cluster = physical_name(inputs, name)
    oidc_id = hex_id(m.region, cluster, n=32).upper()
    vpc_config = dict(inputs.get("vpcConfig") or {})
    vpc_config.update({
        "clusterSecurityGroupId": f"sg-{hex_id(m.region, cluster, 'cluster')}",
        "vpcId": f"vpc-{hex_id(m.region, 'from-subnets')}",
    })
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{cluster}\n-----END CERTIFICATE-----\n".encode())
    return cluster, {
        "name": cluster,
        "arn": m.arn("eks", f"cluster/{cluster}"),
        "endpoint": f"https://{oidc_id}.gr7.{m.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca.decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{m.region}.amazonaws.com/id/{oidc_id}"}]}],
        "vpcConfig": vpc_config,
        "version": inputs.get("version") or "1.31",
        "platformVersion": "eks.20",
        "status": "ACTIVE",
    }


def oidc_provider(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    url = str(inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:{PARTITION}:iam::{m.account}:oidc-provider/{url}"
    return arn, {"arn": arn}


def node_group(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    group = physical_name(inputs, name, "nodeGroupName")
    cluster = inputs.get("clusterName", "cluster")
    return f"{cluster}:{group}", {
        "nodeGroupName": group,
        "arn": m.arn("eks", f"nodegroup/{cluster}/{group}/{hex_id(group, n=8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{hex_id(group, n=8)}"}]}],
    }


def addon(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    cluster, addon = inputs.get("clusterName", "cluster"), inputs.get("addonName", name)
    return f"{cluster}:{addon}", {"arn": m.arn("eks", f"addon/{cluster}/{addon}/{hex_id(addon, n=8)}")}


def access_entry(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", name)
    return f"{cluster}:{principal}", {"accessEntryArn": m.arn("eks", f"access-entry/{cluster}/{hex_id(principal)}")}


def launch_template(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"lt-{hex_id(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"launch-template/{id_}"), "latestVersion": 1, "defaultVersion": 1,
                 "name": physical_name(inputs, name)}


def instance(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"i-{hex_id(m.region, name)}"
    h = int(hex_id(m.region, name, n=4), 16)
    ip = f"198.51.100.{h % 254 + 1}"
    return id_, {"arn": m.arn("ec2", f"instance/{id_}"), "publicIp": ip,
                 "publicDns": f"ec2-{ip.replace('.', '-')}.{m.region}.compute.amazonaws.com",
                 "privateIp": f"10.0.0.{h % 200 + 10}"}


def instance_profile(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    profile = physical_name(inputs, name)
    return profile, {"name": profile, "arn": f"arn:{PARTITION}:iam::{m.account}:instance-profile/{profile}"}


def secret(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    secret = physical_name(inputs, name)
    arn = m.arn("secretsmanager", f"secret:{secret}-{hex_id(secret, n=6)}")
    return arn, {"name": secret, "arn": arn}


def secret_version(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    return f"{inputs.get('secretId')}|{hex_id(name)}", {"versionId": hex_id(name, n=32), "arn": inputs.get("secretId")}


def distribution(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = "E" + hex_id(m.region, name, n=13).upper()
    return id_, {"arn": f"arn:{PARTITION}:cloudfront::{m.account}:distribution/{id_}",
                 "domainName": f"d{hex_id(id_, n=13)}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2",
                 "status": "Deployed"}


def random_password(m: MockAccount, name: str, inputs: dict) -> tuple[str, dict]:
    length = int(inputs.get("length", 16))
    value = (hex_id("password", m.region, name, n=64) * 2)[:length]
    # The provider marks `result` secret; so does the engine's wire form here.
    return "none", {"result": {SECRET_SIG_KEY: SECRET_SIG, "value": value}}


def prefix_list(m: MockAccount, name: str) -> dict:
    id_ = f"pl-{hex_id(m.region, name, n=8)}"
    return {"id": id_, "name": name, "addressFamily": "IPv4", "arn": m.arn("ec2", f"prefix-list/{id_}"),
            "entries": [], "maxEntries": 55, "ownerId": "AWS", "tags": {}, "version": 1}


def ssm_ami_parameter(m: MockAccount, name: str) -> dict:
    if name in m.missing_parameters:
        raise ProviderError(f"1 error occurred:\n\t* {ssm_parameter_not_found(name)}\n\n")
    ami = f"ami-{hex_id(m.region, name)}"
    # The provider marks `value` secret whatever the parameter's type: a real run gets a secret AMI ID.
    return {"id": name, "name": name, "type": "String", "version": 1,
            "value": {SECRET_SIG_KEY: SECRET_SIG, "value": ami}, "insecureValue": ami,
            "arn": m.arn("ssm", f"parameter{name}"), "withDecryption": True}


def live_cluster(m: MockAccount, name: str):
    if name not in m.live:
        raise ProviderError(f"reading EKS Cluster ({name}): couldn't find resource")
    return m.live[name]


def get_cluster(m: MockAccount, name: str) -> dict:
    live = live_cluster(m, name)
    return {"id": name, "name": name, "version": live.version, "status": "ACTIVE",
            "arn": m.arn("eks", f"cluster/{name}")}


def get_node_group(m: MockAccount, cluster: str, group: str) -> dict:
    version = live_cluster(m, cluster).node_groups[group]
    return {"id": f"{cluster}:{group}", "clusterName": cluster, "nodeGroupName": group, "version": version,
            "status": "ACTIVE"}


ZONES_FILE = Path(__file__).resolve().parent / "availability_zones.json"


@functools.cache
def recorded_zones() -> dict[str, dict[str, Any]]:
    """Per region: `names` (a new account's zone names, in AWS's order), `zoneIds` (the region's regular
    zones' IDs) and `optIn` (opted-in zones, Local or Wavelength, as `{name, zoneId}`) where recorded."""
    return json.loads(ZONES_FILE.read_text())["regions"]


def availability_zones(m: MockAccount, args: dict) -> dict:
    """describe-availability-zones for a new account, with the invoke's filters applied as EC2 applies them:
    `state`, `filters` (opt-in-status, zone-name, zone-id), `excludeNames`, `excludeZoneIds`. Names pair with
    the recorded zone IDs in order (AWS maps them per account)."""
    from workshop.config import ConfigError
    from workshop.project import PROJECT

    region = recorded_zones().get(m.region)
    if region is None or not region.get("zoneIds"):
        raise ConfigError([f"aws:region: {m.region!r} has no availability zones recorded for offline plans: add the "
                           f"region's regular zones to offline/{ZONES_FILE.name} (`aws ec2 describe-availability-zones "
                           f"--region {m.region} --filters Name=opt-in-status,Values=opt-in-not-required`), or plan a "
                           f"region that has them ({PROJECT} plans every region whose zones are recorded)"])
    zones = [{"name": n, "zoneId": z, "optInStatus": "opt-in-not-required"}
             for n, z in zip(region["names"], region["zoneIds"], strict=False)]
    zones += [{**z, "optInStatus": "opted-in"} for z in region.get("optIn", [])]
    for f in args.get("filters") or []:
        key = {"opt-in-status": "optInStatus", "zone-name": "name", "zone-id": "zoneId"}.get(f.get("name"))
        if key is None:
            raise NotImplementedError(f"offline mocks: availability zone filter {f.get('name')!r}")
        zones = [z for z in zones if z[key] in (f.get("values") or [])]
    zones = [z for z in zones if z["name"] not in (args.get("excludeNames") or [])
             and z["zoneId"] not in (args.get("excludeZoneIds") or [])]
    zones.sort(key=lambda z: z["name"])
    return {"id": m.region, "names": [z["name"] for z in zones], "zoneIds": [z["zoneId"] for z in zones],
            "groupNames": [m.region] * len(zones), "state": args.get("state") or "available"}


INVOKES: dict[str, Callable[[MockAccount, dict], dict]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:cloudwatch/getLogGroups:getLogGroups": lambda m, a: {
        "id": m.region, "logGroupNamePrefix": a.get("logGroupNamePrefix"),
        "logGroupNames": sorted(g for g in m.log_groups if g.startswith(str(a.get("logGroupNamePrefix") or ""))),
        "arns": sorted(m.arn("logs", f"log-group:{g}") for g in m.log_groups
                       if g.startswith(str(a.get("logGroupNamePrefix") or "")))},
    "aws:eks/getClusters:getClusters": lambda m, a: {"id": m.region, "names": sorted(m.live)},
    "aws:eks/getCluster:getCluster": lambda m, a: get_cluster(m, str(a.get("name"))),
    "aws:eks/getNodeGroups:getNodeGroups": lambda m, a: {
        "id": str(a.get("clusterName")), "clusterName": a.get("clusterName"),
        "names": sorted(live_cluster(m, str(a.get("clusterName"))).node_groups)},
    "aws:eks/getNodeGroup:getNodeGroup": lambda m, a: get_node_group(
        m, str(a.get("clusterName")), str(a.get("nodeGroupName"))),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": lambda m, a: prefix_list(m, str(a.get("name"))),
    "aws:ssm/getParameter:getParameter": lambda m, a: ssm_ami_parameter(m, str(a.get("name"))),
    "aws:index/getPartition:getPartition": lambda m, a: {
        "id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws"},
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "id": m.account, "accountId": m.account, "userId": "AIDAMOCKUSER",
        "arn": f"arn:{PARTITION}:iam::{m.account}:user/mock"},
}
