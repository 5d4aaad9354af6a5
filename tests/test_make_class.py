"""`make class`: a workshop event's stack files, spread over accounts so that their quotas hold."""

from __future__ import annotations

from plan_support import plan_cli, program_copy  # noqa: F401 - fixtures

from offline.across_stacks import clashes
from offline.make_class import main
from workshop.config import parse
from workshop.project import load_stack_config, stacks


def test_a_class_is_spread_over_the_accounts_and_passes_the_checks_across_stacks(program_copy, capsys):
    accounts = "111111111111,222222222222,333333333333"
    assert main(["--count", "5", "--template", "dev", "--accounts", accounts, "--root", str(program_copy)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == ("5 stacks: 2 in 111111111111, 2 in 222222222222, 1 in 333333333333; plan them "
                                    "with `make plan`")
    names = [f"class-0{i}" for i in range(1, 6)]
    assert [s for s in stacks(program_copy) if s.startswith("class-")] == names
    configs = [load_stack_config(n, program_copy) for n in names]
    assert [c["eks-workshop:cluster"]["name"] for c in configs] == names
    assert [c["aws:allowedAccountIds"] for c in configs] == [["111111111111"]] * 2 + [["222222222222"]] * 2 + [
        ["333333333333"]]
    vpcs = [c["eks-workshop:network"]["vpcCidr"] for c in configs]
    assert len(set(vpcs)) == 5 and all(v.startswith("10.") and v.endswith(".0.0/16") for v in vpcs)
    assert all(parse(c).ide.enabled for c in configs)  # each its own IDE, as the template's
    # The checks across stacks that `make plan` runs first: no overlap, no quota exceeded, no shared name.
    assert clashes(program_copy) == ({}, {})
    assert (program_copy / "Pulumi.class-01.yaml").read_text().startswith(
        "# yaml-language-server: $schema=docs/stack-config.schema.json\n# class-01: participant 1 of 5")


def test_a_class_that_does_not_fit_writes_nothing_and_says_what_it_needs(program_copy, capsys):
    assert main(["--count", "30", "--accounts", "111111111111,222222222222", "--root", str(program_copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: class: 30 participants don't fit: the accounts given hold 4 (111111111111: 2, "
                          "222222222222: 2) beside the stacks already there. Add 13 more accounts at the default "
                          "quotas (2 participants each), or raise in each of the 2 accounts (15 participants each, "
                          "ap-northeast-2): L-F678F1CE (VPCs per Region) to 30")
    assert not [s for s in stacks(program_copy) if s.startswith("class-")]
    # dev's own account holds dev (2 VPCs) and staging (1): room for one dev-shaped participant, not two.
    assert main(["--count", "2", "--accounts", "111122223333", "--root", str(program_copy)]) == 2
    assert "the accounts given hold 1 (111122223333: 1)" in capsys.readouterr().err


def test_bad_arguments_are_named(program_copy, capsys):
    assert main(["--count", "0", "--accounts", "12345", "--prefix", "Class!", "--template", "nope",
                 "--root", str(program_copy)]) == 2
    err = capsys.readouterr().err
    assert "N=0: a class has at least one participant" in err
    assert "ACCOUNTS=12345: give 12-digit AWS account IDs, comma-separated (12345 is not one)" in err
    assert "PREFIX='Class!'" in err and "TEMPLATE=nope: no Pulumi.nope.yaml" in err
