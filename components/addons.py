"""The other EKS managed add-ons, each at a pinned version, ordered by whether they need nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pulumi
import pulumi_aws as aws

# Deployments stay DEGRADED until pods schedule: create them after a node group exists, or the
# add-on create times out. DaemonSets (kube-proxy, pod identity agent) are fine on an empty cluster.
NEEDS_NODES = frozenset({"coredns", "metrics-server"})


@dataclass(frozen=True)
class ManagedAddonsArgs:
    cluster_name: pulumi.Input[str]
    versions: Mapping[str, str]  # add-on name -> pinned version
    node_groups: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class ManagedAddons(pulumi.ComponentResource):
    def __init__(self, name: str, args: ManagedAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:addons:ManagedAddons", name, None, opts)
        self.addons: dict[str, aws.eks.Addon] = {}
        for addon, version in sorted(args.versions.items()):
            self.addons[addon] = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=args.cluster_name,
                addon_name=addon,
                addon_version=version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=list(args.node_groups) if addon in NEEDS_NODES else []),
            )
        self.register_outputs({name: a.addon_version for name, a in self.addons.items()})
