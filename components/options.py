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
    items = list(deps) if isinstance(deps, (list, tuple)) else [deps]
    # pulumi's type also allows outputs of resources; passing one on would need awaiting it first.
    if not all(isinstance(d, pulumi.Resource) for d in items):
        raise TypeError("depends_on of a component whose children inherit it must list resources, not outputs")
    return [d for d in items if isinstance(d, pulumi.Resource)]
