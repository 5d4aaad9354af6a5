"""The vpc-cni managed add-on: prefix delegation, pod ENIs, network policy, and its own IRSA role."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import attach_managed_policies, irsa_trust_policy
from workshop.config import ResolvedVpcCniConfig


def _flag(value: bool) -> str:
    # The add-on's schema takes these as strings, not JSON booleans.
    return "true" if value else "false"


def render_configuration_values(settings: ResolvedVpcCniConfig) -> str:
    """The add-on's `configurationValues` JSON, compact and in the add-on schema's key order."""
    return json.dumps({
        "env": {
            "ENABLE_PREFIX_DELEGATION": _flag(settings.prefix_delegation),
            "ENABLE_POD_ENI": _flag(settings.pod_eni),
            "POD_SECURITY_GROUP_ENFORCING_MODE": settings.pod_security_group_enforcing_mode,
        },
        "enableNetworkPolicy": _flag(settings.network_policy),
        "nodeAgent": {"enablePolicyEventLogs": _flag(settings.policy_event_logs)},
    }, separators=(",", ":"))


@dataclass(frozen=True)
class VpcCniAddonArgs:
    """The vpc-cni add-on and what it runs as.

    Attributes:
        cluster_name: the cluster's name output.
        settings: `vpcCni`, its version resolved from the catalogue (the type refuses `catalogue`).
        oidc_provider_arn: the cluster's OIDC provider, which aws-node's IRSA role trusts.
        oidc_issuer_url: the cluster's OIDC issuer.
        tags: the workshop tags plus `eks-workshop:tags`.
    """

    cluster_name: pulumi.Input[str]
    settings: ResolvedVpcCniConfig
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    tags: Mapping[str, str]


class VpcCniAddon(pulumi.ComponentResource):
    """The vpc-cni managed add-on (`eks-workshop:addons:VpcCniAddon`) with prefix delegation, pod ENIs and
    network policy as `settings` say, and an IRSA role for `kube-system/aws-node` with
    AmazonEKS_CNI_Policy, attached before the add-on starts. Outputs: `addon`, `role_arn`."""

    def __init__(self, name: str, args: VpcCniAddonArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:addons:VpcCniAddon", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        role = aws.iam.Role(
            f"{name}-irsa",
            assume_role_policy=irsa_trust_policy(args.oidc_provider_arn, args.oidc_issuer_url,
                                                 "kube-system", "aws-node"),
            tags=dict(args.tags),
            opts=child,
        )
        policies = attach_managed_policies(role, f"{name}-irsa", ["AmazonEKS_CNI_Policy"], self)

        self.addon = aws.eks.Addon(
            f"{name}",
            cluster_name=args.cluster_name,
            addon_name="vpc-cni",
            addon_version=args.settings.version,
            configuration_values=render_configuration_values(args.settings),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            service_account_role_arn=role.arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=policies),
        )
        self.role_arn = role.arn
        self.register_outputs({"addonArn": self.addon.arn, "roleArn": self.role_arn})
