"""CloudWatch log groups that hold audit data (control-plane logs, flow logs): kept when the stack is
destroyed, adopted when it is built again.

A destroy that deleted such a group would lose the audit trail, and EKS (or a late flow-log delivery)
can recreate the group right after it is deleted, making the next `up` fail with
ResourceAlreadyExistsException (terraform-aws-eks #920, #2486). So a destroy leaves the group (its
events expire by their retention) and an `up` that finds it (a rebuild) adopts it: the engine imports
it, then applies retention, key and tags. Where the group is already in the state, the engine ignores
the import.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def retained_log_group(name: str, group_name: str, retention_days: int, kms_key_arn: pulumi.Input[str] | None,
                       tags: Mapping[str, str], parent: pulumi.Resource, protect: bool = False
                       ) -> aws.cloudwatch.LogGroup:
    """The log group `group_name` (logical name `name`), retained on destroy and adopted if it exists;
    `protect` (eks-workshop:protect) also refuses its deletion or replacement while in the stack."""
    found = aws.cloudwatch.get_log_groups(log_group_name_prefix=group_name).log_group_names or []
    return aws.cloudwatch.LogGroup(
        name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True, protect=protect,
                                    import_=group_name if group_name in found else None),
    )
