"""Quotas across stacks (offline/quotas.py): what the stacks of one account and region create together,
against the defaults and what a team has declared raised."""

from __future__ import annotations

import json

from plan_support import plan_cli, program_copy  # noqa: F401 - fixtures

from offline.quotas import Usage, check


def dev_shaped(stack: str, accounts=("111122223333",), region="ap-northeast-2", zones="abc", per_az=False) -> Usage:
    """What a dev-shaped stack creates: its VPC and the IDE's, one NAT gateway (or one per zone) and its EIP."""
    nat = [f"{region}{z}" for z in (zones if per_az else zones[:1])]
    return Usage(stack, region, frozenset(accounts) if accounts is not None else None, {
        "L-F678F1CE": {region: 2}, "L-A4707A72": {region: 2}, "L-0263D0A3": {region: len(nat)},
        "L-FE5A380F": {z: 1 for z in nat}, "L-1194D53C": {region: 1}})


def test_two_dev_shaped_stacks_fit_one_account_and_the_third_is_refused(tmp_path):
    assert check(tmp_path, [dev_shaped("s1"), dev_shaped("s2")]) == ({}, {})
    errors, warnings = check(tmp_path, [dev_shaped(f"s{i}") for i in (1, 2, 3)])
    assert warnings == {}
    assert errors["s3"][0] == (
        "quotas: account 111122223333, ap-northeast-2: the stacks would create 6 VPCs per Region (s1 2, s2 2, s3 2), "
        "but the quota is 5 (L-F678F1CE, the default): raise it with `aws service-quotas request-service-quota-increase "
        "--service-code vpc --quota-code L-F678F1CE --desired-value 6 --region ap-northeast-2` and declare it in "
        "quotas/111122223333.json, or move stacks to another account")
    assert len(errors["s3"]) == 2  # VPCs and the internet gateways tied to them
    # Every stack of the set is told: each one's plan fails.
    assert set(errors) == {"s1", "s2", "s3"}


def test_a_declared_raise_accepts_the_set(tmp_path):
    (tmp_path / "quotas").mkdir()
    (tmp_path / "quotas" / "111122223333.json").write_text(json.dumps(
        {"account": "111122223333", "raised": {"ap-northeast-2": {"L-F678F1CE": 30, "L-A4707A72": 30, "L-0263D0A3": 15,
                                                                "L-FE5A380F": 15}}}))
    stacks = [dev_shaped(f"s{i:02d}") for i in range(1, 14)]
    assert check(tmp_path, stacks) == ({}, {})
    # Another account's declaration is not this one's.
    errors, _ = check(tmp_path, [dev_shaped(f"t{i}", accounts=("222222222222",)) for i in range(3)])
    assert errors and "account 222222222222" in errors["t0"][0]


def test_nat_gateways_are_counted_per_zone(tmp_path):
    stacks = [dev_shaped(f"s{i}", accounts=(f"{i:012d}",)) for i in range(6)]  # separate accounts: no clash
    assert check(tmp_path, stacks) == ({}, {})
    six = [dev_shaped(f"s{i}", region=f"r-{i}") for i in range(6)]  # separate regions: no clash either
    assert check(tmp_path, six) == ({}, {})
    errors, _ = check(tmp_path / "none", [Usage(f"z{i}", "ap-northeast-2", frozenset({"1"}),
                                                {"L-FE5A380F": {"ap-northeast-2a": 1}}) for i in range(6)])
    assert "6 NAT gateways per Availability Zone in ap-northeast-2a" in errors["z0"][0]


def test_an_unpinned_stack_is_counted_with_its_region_and_warned_the_check_is_partial(tmp_path):
    errors, warnings = check(tmp_path, [dev_shaped("a", accounts=None), dev_shaped("b", accounts=None),
                                        dev_shaped("c", accounts=None)])
    assert errors == {}
    assert any("the check is partial" in w for w in warnings["a"])
    assert any(w.startswith("quotas: ap-northeast-2 (accounts not pinned): the stacks would create 6 VPCs")
               for w in warnings["c"])


def test_the_plan_refuses_a_set_of_stacks_that_cannot_all_exist(plan_cli, program_copy, tmp_path):
    dev = (program_copy / "Pulumi.dev.yaml").read_text()
    (program_copy / "Pulumi.alice.yaml").write_text(
        dev.replace("name: eks-workshop\n", "name: eks-workshop-alice\n")
        .replace("vpcCidr: 10.42.0.0/16", "vpcCidr: 10.46.0.0/16"))
    # dev (2 VPCs: its own and the IDE's), staging (1) and alice (2): exactly the default 5 VPCs, 5 Elastic IPs.
    from offline.across_stacks import clashes

    assert clashes(program_copy) == ({}, {})
    (program_copy / "Pulumi.bob.yaml").write_text(
        dev.replace("name: eks-workshop\n", "name: eks-workshop-bob\n").replace("vpcCidr: 10.42.0.0/16", "vpcCidr: 10.47.0.0/16"))
    refused = plan_cli("--root", str(program_copy), "--stack", "bob", "--no-policy", "--quiet", "--out-dir", str(tmp_path))
    assert refused.returncode == 2 and "VPCs per Region (dev 2, staging 1, alice 2, bob 2)" in refused.stderr
    (program_copy / "quotas").mkdir()
    (program_copy / "quotas" / "111122223333.json").write_text(json.dumps(
        {"account": "111122223333", "raised": {"ap-northeast-2": {"L-F678F1CE": 10, "L-A4707A72": 10, "L-0263D0A3": 10}}}))
    assert clashes(program_copy) == ({}, {})  # what stopped bob's plan holds now
