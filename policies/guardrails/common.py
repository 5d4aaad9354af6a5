"""Helpers shared by the policies: reading wire-form properties and declaring policies tersely."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


def dig(props: Any, path: str) -> Any:
    """`props["a"]["b"]` for "a.b", None where any step is missing. Unknown values raise the SDK's
    UnknownValueError through its proxy, which the analyzer reports as "can't run during preview"."""
    value = props
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if hasattr(value, "get") else None
    return value


def _described(name: str, description: str, severity: Severity, remediation: str,
               enforcement: EnforcementLevel, config: dict[str, Any] | None) -> dict[str, Any]:
    """What every policy of the pack declares besides its check."""
    return dict(name=name, description=description, enforcement_level=enforcement, severity=severity,
                remediation_steps=remediation,
                config_schema=PolicyConfigSchema(properties=config) if config else None)


def resource_policy(name: str, description: str, types: Iterable[str], check: Callable[[Any, Any, ReportViolation], None],
                    *, severity: Severity, remediation: str, enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
                    config: dict[str, Any] | None = None) -> ResourceValidationPolicy:
    """A policy that runs `check(props, config, report)` on resources of the given types only."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type in wanted:
            check(args.props, args.get_config(), report)

    return ResourceValidationPolicy(validate=validate,
                                    **_described(name, description, severity, remediation, enforcement, config))


def stack_policy(name: str, description: str, check: Callable[[StackValidationArgs, ReportViolation], None],
                 *, severity: Severity, remediation: str,
                 enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
                 config: dict[str, Any] | None = None) -> StackValidationPolicy:
    return StackValidationPolicy(validate=check,
                                 **_described(name, description, severity, remediation, enforcement, config))


def has_key(mapping: Any, key: str) -> bool:
    """Whether `key` is set, without reading its value: the SDK's proxy raises on reading an unknown
    value, and `in` on a Mapping reads it."""
    return any(k == key for k in mapping)


def network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def within(inner: ipaddress.IPv4Network | ipaddress.IPv6Network,
           outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """`inner` lies inside `outer`; networks of different IP versions never do."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


def depends_on(resource, prop: str) -> list:
    """The resources a property of `resource` was computed from (stack policies)."""
    return list(resource.property_dependencies.get(prop, []))
