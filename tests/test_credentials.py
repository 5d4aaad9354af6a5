"""Credentials in a stack file are refused in plaintext, naming the key and `pulumi config set --secret`;
encrypted ones pass. Fixture values are made up here, shaped as AWS documents its keys."""

from __future__ import annotations

import copy

import pytest

from offline.runner import ProgramRun, load_stack_config, run_program
from workshop.config import ConfigError, parse

DEV = load_stack_config("dev")
# Shaped like AWS's keys, made up: 20 characters after AKIA's 4; 40 of base64's alphabet.
ACCESS_KEY_ID = "AKIA" + "Q7EXAMPLE2WORKSHOP"[:16]
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "0WORKSHOP1"


def problems_with(**extra) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse({**copy.deepcopy(DEV), **extra})
    return err.value.problems


@pytest.mark.parametrize("key", ["aws:accessKey", "aws:secretKey", "aws:token"])
def test_the_aws_providers_credentials_in_plaintext_are_refused(key):
    problems = problems_with(**{key: "anything"})
    assert len(problems) == 1 and problems[0].startswith(f"{key}: a credential of the aws provider in plaintext")
    assert f"`pulumi config set --secret {key} <value>`" in problems[0]


def test_encrypted_credentials_pass():
    cfg = parse({**DEV, "aws:secretKey": {"secure": "v1:AAAA"}, "github:token": {"secure": "v1:BBBB"}})
    assert cfg.cluster.name == "eks-workshop"
    # as the CLI hands them over: decrypted, and named among the run's secret keys
    assert parse({**DEV, "aws:secretKey": SECRET_KEY}, secret_keys=frozenset({"aws:secretKey"})).region


def test_keys_named_like_credentials_are_refused_in_any_namespace_and_in_tags():
    problems = problems_with(**{"myteam:dbPassword": "hunter2", "github:token": "x",
                                "eks-workshop:tags": {"owner": "platform", "api_key": "k"}})
    keys = sorted(p.split(":", 2)[0] + ":" + p.split(":", 2)[1] for p in problems)
    assert keys == ["eks-workshop:tags.api_key", "github:token", "myteam:dbPassword"], problems
    assert all("its name says it holds a credential" in p for p in problems)
    assert "`pulumi config set --secret eks-workshop:tags <value>`" in next(p for p in problems if "api_key" in p)


def test_values_shaped_like_aws_keys_are_refused_wherever_they_are():
    problems = problems_with(**{"eks-workshop:tags": {"owner": ACCESS_KEY_ID, "note": f"key {SECRET_KEY}"}})
    assert sorted(p.split(": ")[0] for p in problems) == ["eks-workshop:tags.note", "eks-workshop:tags.owner"]
    assert all("looks like an AWS access key" in p for p in problems)


def test_lookalikes_that_are_not_credentials_pass():
    commit = "d8f1b254" + "0" * 32  # a git commit: 40 lower-case hex digits
    values = copy.deepcopy(DEV)
    values["eks-workshop:ide"]["repositoryRef"] = "stable"
    values["eks-workshop:tags"] = {"source-commit": commit, "password-policy": ""}  # named so, but empty
    assert parse(values).tags["source-commit"] == commit


def test_a_plaintext_credential_creates_nothing():
    run = ProgramRun(project="eks-workshop", stack="dev")
    with pytest.raises(ConfigError) as err:
        run_program("dev", {**DEV, "aws:secretKey": SECRET_KEY}, run=run)
    assert run.resources == [] and "aws:secretKey: a credential" in str(err.value)


def test_an_encrypted_value_reaches_the_program_as_the_cli_hands_it():
    auto = load_stack_config("dev-auto")  # the smallest stack: the point is that the program gets past its config
    run = run_program("dev-auto", {**auto, "aws:secretKey": {"secure": "v1:AAAA"}})
    assert run.resources


def test_a_vpc_outside_rfc_1918_plans_with_a_warning_that_says_why():
    from workshop.config.stack_warnings import config_warnings

    values = copy.deepcopy(DEV)
    values["eks-workshop:network"]["vpcCidr"] = "100.64.0.0/16"  # shared address space, not RFC 1918
    cfg = parse(values)
    warned = [w for w in config_warnings(cfg, cfg_date()) if "RFC 1918" in w]
    assert len(warned) == 1 and warned[0].startswith("eks-workshop:network.vpcCidr: 100.64.0.0/16 is not RFC 1918")
    assert "nothing in it can reach the real hosts there" in warned[0]
    assert not [w for w in config_warnings(parse(DEV), cfg_date()) if "RFC 1918" in w]


def cfg_date():
    from workshop import versions

    return versions.plan_date()
