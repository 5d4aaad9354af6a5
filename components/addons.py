"""The other EKS managed add-ons, each at a pinned version, ordered by whether they need nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Deployments stay DEGRADED until pods schedule: create them after a node group exists, or the
# add-on create times out. DaemonSets (kube-proxy, pod identity agent) are fine on an empty cluster,
# and kube-proxy must match the control plane: those go before the nodes, so that on an upgrade they
# move right after the control plane and before the node groups roll.
NEEDS_NODES = frozenset({"coredns", "metrics-server"})


@dataclass(frozen=True)
class ManagedAddonsArgs:
    """A set of EKS managed add-ons at pinned versions.

    Attributes:
        cluster_name: the cluster's name output: the add-ons wait for the cluster.
        versions: add-on name to its version (`eks-workshop:addons`, catalogue pins resolved).
        node_groups: what the add-ons in NEEDS_NODES wait for. Default: none (for a set of add-ons
            that need no nodes).
        tags: the workshop tags plus `eks-workshop:tags`. Default: none.
        moved_from: the ManagedAddons these add-ons were children of before; their aliases keep their
            identity (a move, not a delete and re-create). Default: "", never moved.
        configurations: add-on name to its configuration values (JSON); an add-on not in this set gets
            none. Default: none.
    """

    cluster_name: pulumi.Input[str]
    versions: Mapping[str, str]
    node_groups: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    moved_from: str = ""
    configurations: Mapping[str, str] = field(default_factory=dict)


class ManagedAddons(pulumi.ComponentResource):
    """EKS managed add-ons (`eks-workshop:addons:ManagedAddons`), one `aws.eks.Addon` each, conflicts
    overwritten; those in NEEDS_NODES wait for the node groups. Output: `addons`, name to resource."""

    def __init__(self, name: str, args: ManagedAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:addons:ManagedAddons", name, None, opts)
        self.addons: dict[str, aws.eks.Addon] = {}
        former_parent = (pulumi.create_urn(args.moved_from, "eks-workshop:addons:ManagedAddons")
                         if args.moved_from else None)
        for addon, version in sorted(args.versions.items()):
            aliases = []
            if former_parent is not None:
                aliases = [pulumi.create_urn(f"{args.moved_from}-{addon}", "aws:eks/addon:Addon",
                                             parent=former_parent)]
            self.addons[addon] = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=args.cluster_name,
                addon_name=addon,
                addon_version=version,
                configuration_values=args.configurations.get(addon),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(
                    parent=self, aliases=aliases,
                    depends_on=list(args.node_groups) if addon in NEEDS_NODES else []),
            )
        self.register_outputs({name: a.addon_version for name, a in self.addons.items()})
