"""The shared mock engine fails loudly where it has no realistic answer."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from offline.runner import run_function


def test_unknown_invoke_fails_loudly():
    with pytest.raises(Exception, match="no answer for invoke 'aws:ec2/getAmi:getAmi'"):
        run_function("test", {"aws:region": "us-west-2"},
                     lambda: pulumi.export("ami", aws.ec2.get_ami_output(owners=["amazon"], most_recent=True).id))


def test_unknown_resource_type_fails_loudly():
    with pytest.raises(Exception, match="no answer for resource type 'aws:s3/bucket:Bucket'"):
        run_function("test", {"aws:region": "us-west-2"}, lambda: aws.s3.Bucket("b"))


def test_computed_outputs_are_deterministic():
    first = run_function("test", {"aws:region": "us-west-2"}, lambda: aws.ec2.Vpc("v", cidr_block="10.0.0.0/16"))
    second = run_function("test", {"aws:region": "us-west-2"}, lambda: aws.ec2.Vpc("v", cidr_block="10.0.0.0/16"))
    assert first.resources[0].id == second.resources[0].id and first.resources[0].id.startswith("vpc-")


def test_every_type_the_program_creates_has_one_row_in_the_type_table():
    import sys
    from pathlib import Path

    from offline.replacement import has_rules
    from offline.resource_types import TYPES
    from offline.runner import STACKS, run_stack

    used = {r.type for s in STACKS for r in run_stack(s).resources if r.custom}
    assert sorted(used - set(TYPES)) == []
    # Each AWS row has its mock answer and its replacement rules; the pack agrees with its columns.
    assert [t for t, row in TYPES.items() if t.startswith(("aws:", "random:")) and row.mock is None] == []
    assert [t for t in TYPES if not has_rules(t)] == []
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from guardrails import iam_data, stack

    assert set(iam_data.TAGGABLE) == {t for t, row in TYPES.items() if row.taggable}
    assert set(stack.STATEFUL) == {t for t, row in TYPES.items() if row.protected}


def test_a_type_without_a_row_fails_loudly():
    import pulumi_aws as aws
    import pytest

    from offline.runner import run_function

    with pytest.raises(Exception, match="no answer for resource type 'aws:s3/bucketV2:BucketV2'.*add its row to "
                                        "offline/resource_types.py"):
        run_function("t", {"aws:region": "us-west-2"}, lambda: aws.s3.BucketV2("b"))


def test_arns_carry_the_account_the_stack_pins(prod, dev):
    """prod pins 444455556666: its ARNs and its trust conditions name that account, never the example one."""
    from offline.mock_handlers import ACCOUNT_ID
    from offline.runner import stack_account

    assert stack_account(prod.config) == "444455556666"
    text = json.dumps([r.outputs for r in prod.resources]) + json.dumps([r.inputs for r in prod.resources])
    assert "444455556666" in text and ACCOUNT_ID not in text
    assert stack_account({"aws:allowedAccountIds": ["1", "2"]}) == ACCOUNT_ID  # two pinned: no one account
    assert stack_account({}) == ACCOUNT_ID


def test_a_run_collects_garbage_less_often_and_then_puts_the_collector_back():
    """During a run the collector waits for RUN_GC_THRESHOLD new objects; after it, passed or failed, the
    process's own setting is back (the runner tunes a run, not the process)."""
    import gc

    from offline.runner import RUN_GC_THRESHOLD

    seen = []

    def program(fail: bool):
        seen.append(gc.get_threshold())
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        if fail:
            raise ValueError("boom")

    before = gc.get_threshold()
    gc.set_threshold(700, 11, 12)
    try:
        run_function("test", {"aws:region": "us-west-2"}, lambda: program(False))
        assert gc.get_threshold() == (700, 11, 12)
        with pytest.raises(ValueError, match="boom"):
            run_function("test", {"aws:region": "us-west-2"}, lambda: program(True))
        assert gc.get_threshold() == (700, 11, 12)
    finally:
        gc.set_threshold(*before)
    assert seen == [(RUN_GC_THRESHOLD, 11, 12)] * 2
