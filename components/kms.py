"""KMS keys with explicit key policies: the account administers the key, only the service that uses
it may use it, nothing wider. Used by the cluster's secrets key and the log encryption key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# What administering a key takes, without the right to use it: no Encrypt/Decrypt/GenerateDataKey and no
# CreateGrant (a grant is use by proxy: AWS's default admin statement's kms:Create* includes it). The
# account keeps PutKeyPolicy: KMS refuses a policy that would lock the caller out, and it is how the key
# stays manageable, so the account can always give itself use by changing the policy, on the record.
ADMIN_ACTIONS = ["kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:PutKeyPolicy",
                 "kms:Update*", "kms:RevokeGrant", "kms:RetireGrant", "kms:Disable*", "kms:Get*", "kms:Delete*",
                 "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                 "kms:RotateKeyOnDemand"]
USE_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def key_policy(account_id: str, partition: str, users: Sequence[dict[str, Any]]) -> str:
    """A key policy: the account root (so IAM policies in the account can administer it, and the key
    can never become unmanageable) may administer; `users` are the statements of who may use it."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
             "Action": ADMIN_ACTIONS, "Resource": "*"},
            *users,
        ],
    })


def account_key_policy(users: Any) -> pulumi.Output[str]:
    """`key_policy` for the stack's account and partition; `users(account_id, partition)` returns the
    use statements (an Output of them, or a list)."""
    identity = aws.get_caller_identity_output()
    partition = aws.get_partition_output()
    return pulumi.Output.all(identity.account_id, partition.partition).apply(
        lambda a: pulumi.Output.from_input(users(a[0], a[1])).apply(lambda u: key_policy(a[0], a[1], u)))


@dataclass(frozen=True)
class LogEncryptionKeyArgs:
    """The key for this stack's log groups.

    Attributes:
        name: the cluster name; the alias is `alias/<name>-logs`.
        region: `aws:region`: the CloudWatch Logs service principal and the groups' ARNs.
        log_group_names: exactly the groups CloudWatch Logs may use the key for.
        tags: the workshop tags (without the Karpenter discovery tag) plus `eks-workshop:tags`. Default: none.
        protect: `eks-workshop:protect`: the key refuses deletion while it is in the stack. Default: false.
    """

    name: str
    region: str
    log_group_names: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class LogEncryptionKey(pulumi.ComponentResource):
    """A customer KMS key for this stack's CloudWatch log groups (control plane, flow logs).

    CloudWatch Logs may use it only for the listed groups: the key policy's condition on the
    `aws:logs:arn` encryption context names each group's ARN. The groups outlive a destroy
    (components/logs.py) and their events can be read only with this key, so the key is kept too
    (`retainOnDelete`): a destroy leaves it enabled, at 1 USD a month, until its owner schedules its
    deletion once the last retained events have expired. Its alias goes with the stack; a rebuild makes
    a new key and alias, and the adopted groups encrypt new events with the new key.
    """

    def __init__(self, name: str, args: LogEncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-workshop:logs:LogEncryptionKey", name, None, opts)

        def users(account_id: str, partition: str) -> list[dict[str, Any]]:
            arns = [f"arn:{partition}:logs:{args.region}:{account_id}:log-group:{g}" for g in args.log_group_names]
            return [{
                "Sid": "CloudWatchLogsUsesItForTheseGroupsOnly", "Effect": "Allow",
                "Principal": {"Service": f"logs.{args.region}.amazonaws.com"},
                "Action": USE_ACTIONS, "Resource": "*",
                "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arns}},
            }]

        self.key = aws.kms.Key(
            name,
            description=f"CloudWatch Logs encryption for {args.name}: {', '.join(args.log_group_names)}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account_key_policy(users),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True),
        )
        aws.kms.Alias(name, name=f"alias/{args.name}-logs", target_key_id=self.key.key_id,
                      opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.key.arn
        self.register_outputs({"keyArn": self.arn})
