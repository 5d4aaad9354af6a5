"""URNs as the engine makes them (pulumi/pulumi sdk/go/common/resource/urn.go): a resource's qualified
type is its parent's whole qualified type, `$`, its own type; none for the root stack. Used by the mock
monitor (which registers resources) and by the diff (which resolves aliases)."""

from __future__ import annotations

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def urn_parts(urn: str) -> tuple[str, str, str, str]:
    """stack, project, qualified type (`parent$…$type`), name of `urn:pulumi:<stack>::<project>::<qt>::<name>`."""
    stack, project, qualified, name = urn.removeprefix("urn:pulumi:").split("::", 3)
    return stack, project, qualified, name


def urn_type(urn: str) -> str:
    """The resource's own type: the last part of its qualified type."""
    return urn_parts(urn)[2].rsplit("$", 1)[-1]


def urn_name(urn: str) -> str:
    """The resource's logical name."""
    return urn_parts(urn)[3]


def new_urn(stack: str, project: str, parent_type: str, type_: str, name: str) -> str:
    """resource.NewURN: `parent_type` is the parent's qualified type ("" or the root stack's for none)."""
    qualified = type_ if not parent_type or parent_type == ROOT_STACK_TYPE else f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """resource.CreateURN: a child of the resource whose URN is `parent` ("" for none)."""
    return new_urn(stack, project, urn_parts(parent)[2] if parent else "", type_, name)
