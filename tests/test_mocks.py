"""The shared mock engine fails loudly where it has no realistic answer."""

from __future__ import annotations

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
