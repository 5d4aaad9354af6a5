"""make scan: the plan as Terraform plan JSON (offline/tfplan.py) and the gate around checkov
(offline/scan.py), run here against a stub checkov that answers as checkov does; CI runs the real one."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from offline import scan
from offline.plan_model import Plan
from offline.tfplan import convert
from workshop.project import ROOT


@pytest.fixture
def prod_tf(prod) -> dict:
    return convert(Plan.of_run(prod).to_json(), "ap-northeast-2").document


def resources(document: dict, tf_type: str) -> list[dict]:
    return [r for r in document["planned_values"]["root_module"]["resources"] if r["type"] == tf_type]


def test_a_plan_reads_as_terraform_names_blocks_and_references(prod_tf, prod):
    (cluster,) = resources(prod_tf, "aws_eks_cluster")
    v = cluster["values"]
    # blocks the bridge flattened are one-element lists; names are Terraform's
    assert v["vpc_config"][0]["endpoint_public_access"] is False and v["deletion_protection"] is True
    assert v["encryption_config"][0]["resources"] == ["secrets"]
    assert v["enabled_cluster_log_types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert v["tags"]["env"] == "eks-workshop-prod"  # a map stays a map
    (group,) = resources(prod_tf, "aws_eks_node_group")
    assert group["values"]["node_repair_config"] == [{"enabled": True}]
    assert group["values"]["taint"] is None  # no taints: an empty list is unset (null), as a plan shows it
    (template,) = resources(prod_tf, "aws_launch_template")
    assert template["values"]["block_device_mappings"][0]["ebs"][0]["encrypted"] == "true"  # plural in Terraform
    assert template["values"]["metadata_options"][0]["http_put_response_hop_limit"] == 1  # floats back to ints
    # the flow log's VPC is the plan's VPC: unknown until apply, with a reference, as a first terraform plan shows
    flow = next(r for r in prod_tf["resource_changes"] if r["type"] == "aws_flow_log")
    (vpc,) = resources(prod_tf, "aws_vpc")
    config = next(c for c in prod_tf["configuration"]["root_module"]["resources"] if c["address"] == flow["address"])
    assert flow["change"]["after"]["vpc_id"] is None and flow["change"]["after_unknown"]["vpc_id"] is True
    assert vpc["address"] in config["expressions"]["vpc_id"]["references"]
    assert prod_tf["terraform_version"] and all(r["mode"] == "managed" for r in resources(prod_tf, "aws_vpc"))


def test_every_bridged_resource_is_converted_and_the_rest_named(prod):
    converted = convert(Plan.of_run(prod).to_json())
    custom = [r for r in prod.resources if r.custom]
    kept = converted.document["planned_values"]["root_module"]["resources"]
    assert len(kept) + len([s for s in converted.skipped if s.split()[0] in {r.type for r in custom}]) == len(custom)
    assert all(not s.startswith("aws:") for s in converted.skipped)  # every AWS type has its Terraform type
    assert any(s.startswith("eks-workshop:") for s in converted.skipped)


def test_secrets_never_reach_the_file(dev):
    text = json.dumps(convert(Plan.of_run(dev).to_json()).document)
    password = next(r for r in dev.resources if r.type == "random:index/randomPassword:RandomPassword")
    assert password.outputs.get("result") and json.dumps(password.outputs["result"]) not in text


# ------------------------------------------------------------------ the gate, on a stub checkov

def stub_checkov(tmp_path: Path, failed: list[dict] | None = None, resource_count: int | None = None) -> Path:
    """An executable that reads the plan it is given and answers with checkov's JSON report."""
    script = tmp_path / "checkov"
    script.write_text(f"""#!{sys.executable}
import json, sys
args = sys.argv[1:]
plan = json.load(open(args[args.index("-f") + 1]))
skips = open(args[args.index("--repo-root-for-plan-enrichment") + 1] + "/skips.tf").read()
count = {resource_count!r}
n = len(plan["planned_values"]["root_module"]["resources"]) if count is None else count
print(json.dumps({{"check_type": "terraform_plan", "results": {{"failed_checks": {json.dumps(failed or [])}}},
                  "summary": {{"passed": 7, "failed": {len(failed or [])}, "skipped": skips.count("checkov:skip="),
                              "parsing_errors": 0, "resource_count": n}}}}))
sys.exit(1 if {bool(failed)} else 0)
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_a_clean_stack_passes_and_an_accepted_finding_is_skipped_with_its_reason(tmp_path):
    accepted = [scan.Accepted("CKV_AWS_338", "aws_cloudwatch_log_group.*", ("staging",), "a reason")]
    result = scan.scan_stack("staging", stub_checkov(tmp_path), tmp_path / "out", accepted)
    assert result.failed == [] and result.skipped == 2  # the cluster's and the flow logs' groups
    skips = (tmp_path / "out" / "staging" / "accepted" / "skips.tf").read_text()
    assert 'resource "aws_cloudwatch_log_group" "cluster-logs" {\n  # checkov:skip=CKV_AWS_338: a reason\n}' in skips


def test_a_finding_fails_the_scan(tmp_path, capsys, monkeypatch):
    finding = {"check_id": "CKV_AWS_999", "resource": "aws_vpc.network", "check_name": "a check"}
    monkeypatch.setattr(scan, "load_accepted", lambda: [])
    assert scan.main(["--stack", "prod", "--checkov", str(stub_checkov(tmp_path, [finding])),
                      "--out-dir", str(tmp_path / "out")]) == 1
    assert "  FAILED CKV_AWS_999 aws_vpc.network: a check" in capsys.readouterr().out


def test_a_scan_that_missed_resources_or_a_stale_acceptance_cant_be_trusted(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(scan, "load_accepted", lambda: [])
    args = ["--stack", "prod", "--out-dir", str(tmp_path / "out")]
    assert scan.main([*args, "--checkov", str(stub_checkov(tmp_path, resource_count=3))]) == 2
    assert "checkov read 3 of" in capsys.readouterr().err
    stale = [scan.Accepted("CKV_AWS_1", "aws_instance.nothing", ("staging",), "r")]
    monkeypatch.setattr(scan, "load_accepted", lambda: stale)
    assert scan.main(["--stack", "staging", "--out-dir", str(tmp_path / "out"),
                      "--checkov", str(stub_checkov(tmp_path))]) == 2
    assert "accepts CKV_AWS_1 on aws_instance.nothing, which matches no resource" in capsys.readouterr().err
    assert scan.main([*args, "--checkov", str(tmp_path / "missing")]) == 2
    assert "can't run checkov" in capsys.readouterr().err


def test_prod_accepts_nothing_and_every_acceptance_has_its_reason(tmp_path):
    entries = scan.load_accepted()
    assert entries and all(e.reason and "prod" not in e.stacks for e in entries)
    bad = tmp_path / "accepted.json"
    bad.write_text(json.dumps({"accepted": [{"check": "X", "resource": "*", "stacks": ["prod"], "reason": "r"}]}))
    with pytest.raises(scan.ScanError, match="names prod, which accepts no finding"):
        scan.load_accepted(bad)
    assert (ROOT / "offline" / "scan_accepted.json").exists()
