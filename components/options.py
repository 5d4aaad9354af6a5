"""Resource-option plumbing shared by the components."""

from __future__ import annotations

import pulumi


def inherited_depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The component's own `depends_on`, for children that must wait for the same things.

    Pulumi doesn't pass a component's dependencies on to its children, so a child that must not be
    created before them (nodes before vpc-cni, pods before nodes) takes them explicitly.
    """
    deps = opts.depends_on if opts else None
    if deps is None:
        return []
    return list(deps) if isinstance(deps, (list, tuple)) else [deps]
