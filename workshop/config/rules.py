"""Rules on one value, as annotated types: each names the bad value and the rule it breaks.

The key comes from where the value sits (workshop.config.errors turns pydantic's location into
`<config key>: <bad value> <rule>`). The model (workshop.config.model) is written in these types.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from workshop import versions
from workshop.subnets import known_instance_types

# A version pin left to the catalogue: the catalogue's confirmed pin for the version in use.
CATALOGUE = "catalogue"

# The whole of RFC 1918: the only space AWS accepts for EKS Hybrid Nodes' remote networks.
RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
AuthenticationMode = Literal["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"]
UpgradeSupportType = Literal["STANDARD", "EXTENDED"]
NatMode = Literal["single", "perAz"]
CapacityType = Literal["ON_DEMAND", "SPOT"]
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
# Bottlerocket is not offered: its releases (`1.20.3-5d9ac849`) are not `<k8s>.<patch>-<date>` strings
# and the catalogue pins none, so such a node group could never validate.
AmiType = Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2_x86_64", "AL2_ARM_64"]
PodSecurityGroupEnforcingMode = Literal["standard", "strict"]
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = get_args(LogType)
# The managed add-ons `eks-workshop:addons` may name: the catalogue's, whose versions it pins; vpc-cni
# has its own key (vpcCni).
MANAGED_ADDONS = tuple(name for name in versions.catalogue().addon_names if name != "vpc-cni")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)

K8S_VERSION = re.compile(r"^1\.\d{2}$")
RELEASE_VERSION = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")
ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
NODE_GROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")

HybridCredentials = Literal["SSM", "IRA"]
# EKS Auto Mode's built-in node pools (computeConfig.nodePools).
AutoModeNodePool = Literal["general-purpose", "system"]


def broken_rule(*problems: tuple[str, str]) -> PydanticCustomError:
    """A broken rule: (key relative to where the validator sits, message) pairs; "" is the key itself."""
    return PydanticCustomError("rule", "{problems}", {"problems": list(problems)})


@dataclass(frozen=True)
class Rule:
    """A rule on one value, as `Annotated` metadata: the value passes when `test(value)` is true, else
    `message(value)` is the problem; `schema` is what the rule adds to the JSON Schema."""

    test: Callable[[Any], Any]
    message: Callable[[Any], str]
    schema: Mapping[str, Any] = field(default_factory=dict)

    def _validate(self, value: Any) -> Any:
        if not self.test(value):
            raise broken_rule(("", self.message(value)))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._validate, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), **self.schema}


def Matching(regex: str, rule: str, allow: tuple[str, ...] = ()) -> Rule:
    """A string matching `regex` (also written to the JSON Schema) or one of `allow`."""
    compiled = re.compile(regex)
    schema = regex if not allow else f"^(?:{'|'.join(map(re.escape, allow))})$|{regex}"
    return Rule(lambda v: v in allow or compiled.match(v), lambda v: f"{v!r} {rule}", {"pattern": schema})


def Between(low: int, high: int, unit: str = "", why: str = "") -> Rule:
    """A whole number from `low` to `high` inclusive."""
    tail = (f" {unit}" if unit else "") + (f" ({why})" if why else "")
    return Rule(lambda v: low <= v <= high, lambda v: f"{v} must be {low} to {high}{tail}",
                {"minimum": low, "maximum": high})


def ipv4(value: str) -> ipaddress.IPv4Network:
    """The network, or the rule it breaks (a PydanticCustomError)."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        raise broken_rule(("", f"{value!r} is not a valid CIDR ({e})")) from None
    if net.version != 4:
        raise broken_rule(("", f"{value!r} is not IPv4 (IPv4 only)"))
    return net


def cidr_between(low: int = 0, high: int = 32, why: str = "") -> AfterValidator:
    """An IPv4 CIDR whose prefix length is from `low` to `high`."""
    def check(value: str) -> str:
        net = ipv4(value)
        if not low <= net.prefixlen <= high:
            raise broken_rule(("", f"{value!r} must be a /{low} to /{high}" + (f" ({why})" if why else "")))
        return value
    return AfterValidator(check)


Cidr = Annotated[str, cidr_between()]
VpcCidr = Annotated[str, cidr_between(16, 28, "AWS VPC limits")]
Rfc1918Cidr = Annotated[str, cidr_between(), Rule(
    lambda v: any(ipaddress.IPv4Network(v).subnet_of(r) for r in RFC1918),
    lambda v: f"{v!r} must be within RFC 1918 (10/8, 172.16/12, 192.168/16)")]


# GitHub: an account name is 1-39 letters, digits or single hyphens, not starting or ending with one; a
# repository name is 1-100 letters, digits, '.', '-' or '_', and not '.' or '..'.
GITHUB_OWNER = Matching(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$",
                        "is not a GitHub user or organization name (1-39 letters, digits or single hyphens, "
                        "not starting or ending with a hyphen)")
GITHUB_REPOSITORY = Rule(lambda v: bool(re.fullmatch(r"[A-Za-z0-9._-]{1,100}", v)) and v not in (".", ".."),
                         lambda v: f"{v!r} is not a GitHub repository name (1-100 letters, digits, '.', '-' or "
                                   "'_', not '.' or '..')", {"pattern": r"^[A-Za-z0-9._-]{1,100}$"})


def git_ref_problem(ref: str) -> str:
    """Why `ref` is not a branch or tag name `git check-ref-format --branch` accepts, or ""."""
    if not ref or len(ref) > 255:
        return "must be 1-255 characters"
    bad = sorted({c for c in ref if not (c.isascii() and (c.isalnum() or c in "._/-"))})
    if bad:
        return (f"contains {', '.join(repr(c) for c in bad)}: letters, digits, '.', '_', '-' and '/' only (git "
                "forbids some of the rest, and the IDE fetches the workshop's scripts by URL at this ref)")
    for part, why in (("..", "'..'"), ("@{", "'@{'"), ("//", "an empty path component")):
        if part in ref:
            return f"contains {why}, which git forbids in ref names"
    if ref == "@" or ref.startswith(("-", "/")) or ref.endswith(("/", ".", ".lock")):
        return "must not be '@', start with '-' or '/', or end with '/', '.' or '.lock'"
    if any(c.startswith(".") for c in ref.split("/")):
        return "has a path component starting with '.', which git forbids"
    return ""


GIT_REF = Rule(lambda v: not git_ref_problem(v), lambda v: f"{v!r} is not a branch or tag name: {git_ref_problem(v)}",
               {"pattern": r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$"})


def InstanceType(example: str) -> Rule:
    """A string shaped like an EC2 instance type (`m5.large`)."""
    return Matching(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", f"is not an EC2 instance type like {example}")


def booted_by_eks(instance_type: str) -> str:
    """An instance type the EKS AMI's instance table knows, else the nearest known name."""
    if instance_type in known_instance_types():
        return instance_type
    near = difflib.get_close_matches(instance_type, sorted(known_instance_types()), n=1)
    raise broken_rule(("", f"{instance_type!r} is not an instance type the EKS AMI knows (workshop/instance_network_limits"
                     f".json, amazon-eks-ami's instance table){f'; did you mean {near[0]!r}?' if near else ''}"))


NodeInstanceType = Annotated[str, InstanceType("m5.large"), AfterValidator(booted_by_eks)]

LabelKey = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
_LABEL_KEY, _LABEL_VALUE = re.compile(LabelKey), re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
RetentionDays = Annotated[int, Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)}), Rule(
    lambda v: v in LOG_RETENTION_DAYS, lambda v: f"{v} is not a CloudWatch retention period {LOG_RETENTION_DAYS}")]


def camel(name: str) -> str:
    """`endpoint_public_access` -> `endpointPublicAccess`: the wire name of a field."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def across(rule: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Marks a method of a ConfigModel as a rule across its fields: it raises broken_rule (or returns
    None). Every such rule runs, and runs even where a field broke its own rule, unless it reads that
    field (ConfigModel._every_problem)."""
    rule.__across__ = True  # type: ignore[attr-defined]
    return rule


class _Unreadable(Exception):
    """A rule read a field that broke its own rule: the rule can't be judged this run."""


class _ValidFields:
    """The model as a rule sees it when some fields broke their own rules: reading one of those raises
    _Unreadable (the rule is skipped); the rest, properties included, read as validated."""

    def __init__(self, model: BaseModel, broken: frozenset[str]):
        self._model, self._broken = model, broken

    def __getattr__(self, name: str) -> Any:
        if name in self._broken:
            raise _Unreadable(name)
        attr = getattr(type(self._model), name, None)
        if isinstance(attr, property) and attr.fget is not None:
            return attr.fget(self)  # a property reads the fields through this view too
        return getattr(self._model, name)


class ConfigModel(BaseModel):
    """Strict, closed, immutable, camelCase on the wire. Lists arrive as YAML sequences (`strict=False`
    on tuple fields lets a list through; their items stay strict).

    Rules across fields are methods marked @across; all of them run on every validation, so one run
    reports every problem: a typo in one field doesn't hide a rule broken by others."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=camel,
                              validate_by_name=True, validate_by_alias=True)

    @classmethod
    def _rules(cls) -> tuple[Callable[[Any], Any], ...]:
        """The class's @across rules, its bases' included (a subclass's of the same name replaces them)."""
        return _rules_of(cls)

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """Validate the fields; then run every @across rule: on the model, or, where fields broke their own
        rules, on the model built from the others (defaults in their place) with those fields unreadable.
        Every problem found is raised at once, each at its key."""
        rules = cls._rules()
        errors: list[Any] = []
        try:
            model = handler(data)
            broken: frozenset[str] = frozenset()
        except ValidationError as error:
            if not rules or not isinstance(data, Mapping):
                raise
            reported = error.errors()
            errors = [_as_init_error(e) for e in reported]
            bad_keys = {e["loc"][0] for e in reported if e["loc"]}
            try:
                model = handler({k: v for k, v in data.items() if k not in bad_keys})
            except ValidationError:
                raise error from None
            names = {f.alias or n: n for n, f in cls.model_fields.items()}
            broken = frozenset(names.get(k, k) for k in bad_keys if isinstance(k, str))
        view = _ValidFields(model, broken) if broken else model
        problems: list[tuple[str, str]] = []
        for rule in rules:
            try:
                rule(view)
            except PydanticCustomError as e:
                problems += (e.context or {}).get("problems", [])
            except _Unreadable:
                continue
        if problems:
            errors.append(InitErrorDetails(type=broken_rule(*problems), loc=(), input=data))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return model


@functools.cache
def _rules_of(cls: type) -> tuple[Callable[[Any], Any], ...]:
    """Read once per class: validation asks for them each time a model of the class is built."""
    seen: dict[str, Callable[[Any], Any]] = {}
    for klass in reversed(cls.__mro__):
        seen.update({n: f for n, f in vars(klass).items() if getattr(f, "__across__", False)})
    return tuple(seen.values())


def _as_init_error(error: Any) -> InitErrorDetails:
    """One of pydantic's reported errors, to be raised again beside others."""
    if error["type"] == "rule":
        kind: Any = broken_rule(*error["ctx"]["problems"])
    else:
        kind = error["type"]
    details = InitErrorDetails(type=kind, loc=error["loc"], input=error.get("input"))
    if "ctx" in error and error["type"] != "rule":
        details["ctx"] = error["ctx"]
    return details


def list_field(default: tuple, doc: str) -> Any:
    """A tuple field with its default and description; YAML sequences are accepted for it."""
    return Field(default, strict=False, description=doc)


def valid_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """Kubernetes label keys and values, each bad pair named."""
    bad = [(k, f"{v!r} is not a valid Kubernetes label") for k, v in labels.items()
           if not _LABEL_KEY.match(k) or not _LABEL_VALUE.match(v)]
    if bad:
        raise broken_rule(*bad)
    return labels


def AddonVersion(example: str) -> Rule:
    """An EKS add-on version (`v1.19.2-eksbuild.1`) or `catalogue`."""
    return Matching(ADDON_VERSION.pattern, f"is not an add-on version like {example} or 'catalogue'",
                    allow=(CATALOGUE,))

