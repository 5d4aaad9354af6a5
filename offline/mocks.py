"""The one mock engine: what AWS and the providers would answer, for tests and offline tools alike.

Resources get deterministic IDs and the computed outputs the program relies on (ARNs, the cluster
endpoint and CA data, the OIDC issuer, the cluster security group). Unknown custom resource types and
unknown invokes raise, so a new resource type or data source can't silently flow through as `None`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import grpc
import pulumi

from workshop.upgrade_guard import ssm_parameter_not_found

ACCOUNT_ID = "123456789012"
# The engine's wire form of a secret: {SECRET_SIG_KEY: SECRET_SIG, "value": ...}.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# The engine's wire value for a property that is known only after apply.
UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PARTITION = "aws"


def _hex(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


class WorkshopMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes as AWS would for this program's resource types."""

    def __init__(self, region: str, stack_references: dict[str, dict] | None = None, preview: bool = False,
                 live: dict[str, Any] | None = None, missing_parameters: frozenset[str] = frozenset(),
                 log_groups: frozenset[str] = frozenset()):
        self.region = region
        # What already runs in the account: cluster name -> LiveCluster (workshop.upgrade_guard). None
        # is a fresh account, where the upgrade guard has nothing to compare with.
        self.live = live or {}
        # SSM parameter names that don't exist in the region (AWS answers ParameterNotFound).
        self.missing_parameters = missing_parameters
        # CloudWatch log groups that exist in the account, in or out of the stack (a retained one).
        self.log_groups = log_groups
        # As in `pulumi preview`: a resource to be created has no computed outputs yet, so everything
        # computed from them reaches its dependents (and the policy pack) as unknown.
        self.preview = preview
        # StackReference name -> that stack's outputs in wire form (as a ProgramRun records them).
        self.stack_references = stack_references or {}

    # ---------------------------------------------------------------- resources

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if args.custom is False:  # a component; reads (StackReference, `get`) come with custom=None
            return "", {}
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args.resource_id or dict(args.inputs).get("name", ""))
        inputs = dict(args.inputs)
        # In a preview some inputs are unknown; the answer's shape is all that is used then.
        known = _placeholders(inputs) if self.preview else inputs
        if args.typ.startswith("kubernetes:"):
            id_, state = _kubernetes(args.name, known)
        else:
            from offline.resource_types import TYPES  # the table names these handlers

            row = TYPES.get(args.typ)
            handler = row.mock if row is not None else None
            if handler is None:
                raise NotImplementedError(
                    f"offline mocks: no answer for resource type {args.typ!r} ({args.name}); "
                    "add its row to offline/resource_types.py")
            id_, computed = handler(self, args.name, known)
            state = {**known, **computed}
        if self.preview:
            # A resource to be created: what the program gave is known, what AWS computes is not.
            return "", _unknown_beyond(inputs, state)
        return id_, state

    def _stack_reference(self, name: str) -> tuple[str, dict]:
        if name not in self.stack_references:
            raise NotImplementedError(f"offline mocks: no outputs for stack reference {name!r}; "
                                      f"known: {sorted(self.stack_references)}")
        outputs = self.stack_references[name]
        # Secret outputs arrive in the wire's secret envelope; the SDK reads them as secrets.
        plain = {k: v.get("value") if isinstance(v, dict) and v.get(SECRET_SIG_KEY) == SECRET_SIG else v
                 for k, v in outputs.items()}
        secret_names = sorted(k for k, v in outputs.items() if plain[k] is not v)
        return name, {"name": name, "outputs": plain, "secretOutputNames": secret_names}

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{ACCOUNT_ID}:{resource}"

    # ---------------------------------------------------------------- invokes

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"offline mocks: no answer for invoke {args.token!r}; add it to offline/mocks.py")
        try:
            return handler(self, dict(args.args))
        except ProviderError as e:
            raise _InvokeFailed(f"invocation of {args.token} returned an error: {e}") from None


class ProviderError(Exception):
    """What AWS answers with an error (not found, access denied): the program sees a failed invoke."""


class _InvokeFailed(grpc.RpcError):
    """The engine reports a provider's invoke error as a gRPC error; the SDK raises it to the caller."""

    def __init__(self, details: str):
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


def _placeholders(value: Any) -> Any:
    """`value` with the SDK's unknown markers replaced by a string, so handlers can compute a shape."""
    if type(value).__name__ == "Unknown":
        return "unknown"
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _unknown_beyond(inputs: dict, state: dict) -> dict:
    """`state` with every value the inputs didn't give (at any depth) replaced by the unknown marker."""
    out = {}
    for key, value in state.items():
        if key not in inputs:
            out[key] = UNKNOWN_WIRE
        elif isinstance(value, dict) and isinstance(inputs[key], dict):
            out[key] = _unknown_beyond(inputs[key], value)
        else:
            out[key] = inputs[key]
    return out


def _named(prefix: str, service: str, arn_path: str | None = None, name_key: str = "name",
           region: bool = True) -> Callable[[WorkshopMocks, str, dict], tuple[str, dict]]:
    """A resource whose ID is `<prefix>-<hex>` and, if it has one, ARN `<service>:…:<arn_path>/<id>`."""

    def handler(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
        id_ = f"{prefix}-{_hex(m.region, name)}" if prefix else inputs.get(name_key) or f"{name}-{_hex(name, n=7)}"
        out: dict[str, Any] = {"id": id_}
        if arn_path is not None:
            out["arn"] = m.arn(service, f"{arn_path}/{id_}", region)
        return id_, out

    return handler


def _kubernetes(name: str, inputs: dict) -> tuple[str, dict]:
    """Kubernetes objects: the API server fills in the name (auto-named if unset), uid and status."""
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", f"{name}-{_hex(name, n=8)}")
    metadata["uid"] = _hex("uid", name, n=32)
    namespace = metadata.get("namespace")
    id_ = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    return id_, {**inputs, "metadata": metadata, "status": {}}


def _vpc(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"vpc-{_hex(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"vpc/{id_}"), "defaultSecurityGroupId": f"sg-{_hex(id_, 'default')}",
                 "mainRouteTableId": f"rtb-{_hex(id_, 'main')}", "ownerId": ACCOUNT_ID}


def _subnet(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"subnet-{_hex(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"subnet/{id_}"), "ownerId": ACCOUNT_ID,
                 "mapPublicIpOnLaunch": inputs.get("mapPublicIpOnLaunch", False)}


def _eip(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    h = int(_hex(m.region, name, n=4), 16)
    return f"eipalloc-{_hex(m.region, name)}", {"publicIp": f"203.0.113.{h % 254 + 1}",
                                                 "allocationId": f"eipalloc-{_hex(m.region, name)}"}


def _physical_name(inputs: dict, name: str, key: str = "name") -> str:
    """AWS auto-naming: the given name, or the logical name plus a random-looking suffix."""
    return inputs.get(key) or f"{name}-{_hex(name, n=7)}"


def _iam_role(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    role = _physical_name(inputs, name)
    return role, {"name": role, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{role}",
                  "uniqueId": f"AROA{_hex(role, n=17).upper()}"}


def _role_policy(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    """An inline policy: AWS's ID is `<role name>:<policy name>`; the name is generated when unset."""
    policy = _physical_name(inputs, f"{name}-policy")
    return f"{inputs.get('role', '')}:{policy}", {"name": policy}


def _log_group(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    group = _physical_name(inputs, name)
    return group, {"name": group, "arn": m.arn("logs", f"log-group:{group}")}


def _kms_key(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    h = _hex(m.region, name, n=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return key_id, {"keyId": key_id, "arn": m.arn("kms", f"key/{key_id}")}


def _cluster(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    cluster = _physical_name(inputs, name)
    oidc_id = _hex(m.region, cluster, n=32).upper()
    vpc_config = dict(inputs.get("vpcConfig") or {})
    vpc_config.update({
        "clusterSecurityGroupId": f"sg-{_hex(m.region, cluster, 'cluster')}",
        "vpcId": f"vpc-{_hex(m.region, 'from-subnets')}",
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


def _oidc_provider(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    url = str(inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{url}"
    return arn, {"arn": arn}


def _node_group(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    group = _physical_name(inputs, name, "nodeGroupName")
    cluster = inputs.get("clusterName", "cluster")
    return f"{cluster}:{group}", {
        "nodeGroupName": group,
        "arn": m.arn("eks", f"nodegroup/{cluster}/{group}/{_hex(group, n=8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_hex(group, n=8)}"}]}],
    }


def _addon(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    cluster, addon = inputs.get("clusterName", "cluster"), inputs.get("addonName", name)
    return f"{cluster}:{addon}", {"arn": m.arn("eks", f"addon/{cluster}/{addon}/{_hex(addon, n=8)}")}


def _access_entry(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", name)
    return f"{cluster}:{principal}", {"accessEntryArn": m.arn("eks", f"access-entry/{cluster}/{_hex(principal)}")}


def _launch_template(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"lt-{_hex(m.region, name)}"
    return id_, {"arn": m.arn("ec2", f"launch-template/{id_}"), "latestVersion": 1, "defaultVersion": 1,
                 "name": _physical_name(inputs, name)}


def _instance(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = f"i-{_hex(m.region, name)}"
    h = int(_hex(m.region, name, n=4), 16)
    ip = f"198.51.100.{h % 254 + 1}"
    return id_, {"arn": m.arn("ec2", f"instance/{id_}"), "publicIp": ip,
                 "publicDns": f"ec2-{ip.replace('.', '-')}.{m.region}.compute.amazonaws.com",
                 "privateIp": f"10.0.0.{h % 200 + 10}"}


def _instance_profile(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    profile = _physical_name(inputs, name)
    return profile, {"name": profile, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:instance-profile/{profile}"}


def _secret(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    secret = _physical_name(inputs, name)
    arn = m.arn("secretsmanager", f"secret:{secret}-{_hex(secret, n=6)}")
    return arn, {"name": secret, "arn": arn}


def _secret_version(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    return f"{inputs.get('secretId')}|{_hex(name)}", {"versionId": _hex(name, n=32), "arn": inputs.get("secretId")}


def _distribution(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    id_ = "E" + _hex(m.region, name, n=13).upper()
    return id_, {"arn": f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:distribution/{id_}",
                 "domainName": f"d{_hex(id_, n=13)}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2",
                 "status": "Deployed"}


def _random_password(m: WorkshopMocks, name: str, inputs: dict) -> tuple[str, dict]:
    length = int(inputs.get("length", 16))
    value = (_hex("password", m.region, name, n=64) * 2)[:length]
    # The provider marks `result` secret; so does the engine's wire form here.
    return "none", {"result": {SECRET_SIG_KEY: SECRET_SIG, "value": value}}



def _prefix_list(m: WorkshopMocks, name: str) -> dict:
    id_ = f"pl-{_hex(m.region, name, n=8)}"
    return {"id": id_, "name": name, "addressFamily": "IPv4", "arn": m.arn("ec2", f"prefix-list/{id_}"),
            "entries": [], "maxEntries": 55, "ownerId": "AWS", "tags": {}, "version": 1}


def _ssm_ami_parameter(m: WorkshopMocks, name: str) -> dict:
    if name in m.missing_parameters:
        raise ProviderError(f"1 error occurred:\n\t* {ssm_parameter_not_found(name)}\n\n")
    ami = f"ami-{_hex(m.region, name)}"
    # The provider marks `value` secret whatever the parameter's type: a real run gets a secret AMI ID.
    return {"id": name, "name": name, "type": "String", "version": 1,
            "value": {SECRET_SIG_KEY: SECRET_SIG, "value": ami}, "insecureValue": ami,
            "arn": m.arn("ssm", f"parameter{name}"), "withDecryption": True}


def _live_cluster(m: WorkshopMocks, name: str):
    if name not in m.live:
        raise ProviderError(f"reading EKS Cluster ({name}): couldn't find resource")
    return m.live[name]


def _get_cluster(m: WorkshopMocks, name: str) -> dict:
    live = _live_cluster(m, name)
    return {"id": name, "name": name, "version": live.version, "status": "ACTIVE",
            "arn": m.arn("eks", f"cluster/{name}")}


def _get_node_group(m: WorkshopMocks, cluster: str, group: str) -> dict:
    version = _live_cluster(m, cluster).node_groups[group]
    return {"id": f"{cluster}:{group}", "clusterName": cluster, "nodeGroupName": group, "version": version,
            "status": "ACTIVE"}


ZONES_FILE = Path(__file__).resolve().parent / "availability_zones.json"


@functools.lru_cache(maxsize=None)
def _recorded_zones() -> dict[str, list[str]]:
    return json.loads(ZONES_FILE.read_text())["regions"]


def _availability_zones(m: WorkshopMocks) -> dict:
    zones = _recorded_zones().get(m.region)
    if zones is None:
        raise KeyError(f"offline mocks: no recorded availability zones for {m.region}; add them to "
                       f"{ZONES_FILE.name} from `aws ec2 describe-availability-zones --region {m.region}`")
    return {"id": m.region, "names": zones, "zoneIds": [f"{m.region[:2]}{m.region.split('-')[1][:2]}{m.region[-1]}-az{i}"
                                                        for i in range(1, len(zones) + 1)],
            "groupNames": [m.region] * len(zones), "state": "available"}


_INVOKES: dict[str, Callable[[WorkshopMocks, dict], dict]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda m, a: _availability_zones(m),
    "aws:cloudwatch/getLogGroups:getLogGroups": lambda m, a: {
        "id": m.region, "logGroupNamePrefix": a.get("logGroupNamePrefix"),
        "logGroupNames": sorted(g for g in m.log_groups if g.startswith(str(a.get("logGroupNamePrefix") or ""))),
        "arns": sorted(m.arn("logs", f"log-group:{g}") for g in m.log_groups
                       if g.startswith(str(a.get("logGroupNamePrefix") or "")))},
    "aws:eks/getClusters:getClusters": lambda m, a: {"id": m.region, "names": sorted(m.live)},
    "aws:eks/getCluster:getCluster": lambda m, a: _get_cluster(m, str(a.get("name"))),
    "aws:eks/getNodeGroups:getNodeGroups": lambda m, a: {
        "id": str(a.get("clusterName")), "clusterName": a.get("clusterName"),
        "names": sorted(_live_cluster(m, str(a.get("clusterName"))).node_groups)},
    "aws:eks/getNodeGroup:getNodeGroup": lambda m, a: _get_node_group(
        m, str(a.get("clusterName")), str(a.get("nodeGroupName"))),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": lambda m, a: _prefix_list(m, str(a.get("name"))),
    "aws:ssm/getParameter:getParameter": lambda m, a: _ssm_ami_parameter(m, str(a.get("name"))),
    "aws:index/getPartition:getPartition": lambda m, a: {
        "id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws"},
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "id": ACCOUNT_ID, "accountId": ACCOUNT_ID, "userId": "AIDAMOCKUSER",
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/mock"},
}
