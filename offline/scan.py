"""make scan: Checkov, a recognised infrastructure security scanner, over every stack's plan.

    venv/bin/python -m offline.scan [--stack STACK] [--checkov PATH] [--out-dir build/scan]

Each stack is planned offline (the mock engine, as `make plan`), converted to Terraform plan JSON
(offline/tfplan.py) and scanned with checkov's terraform_plan checks (its own environment,
tools/scan/venv: `make scan` installs it). A failed check is a finding, unless offline/scan_accepted.json
accepts it for that stack and resource with its reason (checkov then reports it skipped, with the
reason). prod accepts nothing: the file may not name it.

Exit codes: 0 no finding; 1 a finding; 2 the scan can't be trusted (checkov missing or failing, a
resource it didn't scan, a parsing error, an accepted entry that matches nothing) or a bad input.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from offline.tfplan import convert
from workshop.project import ROOT, load_stack_config, stacks

CHECKOV = ROOT / "tools" / "scan" / "venv" / "bin" / "checkov"
ACCEPTED = ROOT / "offline" / "scan_accepted.json"
STRICT_STACKS = ("prod",)  # the stacks no finding may be accepted for


class ScanError(Exception):
    """The scan can't be trusted, or its input is bad (exit 2)."""


@dataclass(frozen=True)
class Accepted:
    check: str
    resource: str  # fnmatch pattern on the Terraform address (`aws_instance.ide-*`)
    stacks: tuple[str, ...]
    reason: str


def load_accepted(path: Path = ACCEPTED) -> list[Accepted]:
    entries = []
    for i, e in enumerate(json.loads(path.read_text())["accepted"]):
        entry = Accepted(e["check"], e["resource"], tuple(e["stacks"]), " ".join(str(e["reason"]).split()))
        if not entry.reason or not entry.stacks:
            raise ScanError(f"{path.name}: accepted[{i}] ({entry.check}) needs its stacks and its reason")
        strict = sorted(set(entry.stacks) & set(STRICT_STACKS))
        if strict:
            raise ScanError(f"{path.name}: accepted[{i}] ({entry.check}) names {strict[0]}, which accepts no "
                            "finding: fix the finding instead")
        entries.append(entry)
    return entries


def suppressions(addresses: list[str], stack: str, accepted: list[Accepted]) -> tuple[str, list[Accepted]]:
    """Checkov's way of skipping a check on a plan's resource with a reason: a `.tf` file whose resource
    block carries `# checkov:skip=<ID>: <reason>` (--repo-root-for-plan-enrichment). Returns that file's
    text, and the entries for this stack that match no resource (stale: an error)."""
    by_address: dict[str, list[str]] = {}
    stale = []
    for entry in (e for e in accepted if stack in e.stacks):
        hits = [a for a in addresses if fnmatch.fnmatchcase(a, entry.resource)]
        if not hits:
            stale.append(entry)
        for a in hits:
            by_address.setdefault(a, []).append(f"  # checkov:skip={entry.check}: {entry.reason}")
    lines = [f"# offline/scan.py for {stack}: accepted findings only (offline/scan_accepted.json)"]
    for a, comments in sorted(by_address.items()):
        tf_type, name = a.split(".", 1)
        lines += [f'resource "{tf_type}" "{name}" {{', *comments, "}"]
    return "\n".join(lines) + "\n", stale


@dataclass(frozen=True)
class StackResult:
    stack: str
    failed: list[tuple[str, str, str]]  # (check id, address, check name)
    skipped: int
    passed: int


def plan_document(stack: str, root: Path) -> dict:
    """The stack planned offline as `make plan` does (no policy pack: the scanner is the judge here)."""
    from offline.plan_model import Plan
    from offline.runner import run_stack

    return Plan.of_run(run_stack(stack, root=root)).to_json()


def scan_stack(stack: str, checkov: Path, out_dir: Path, accepted: list[Accepted], root: Path = ROOT) -> StackResult:
    from offline.runner import stack_region

    region = stack_region(load_stack_config(stack, root))
    converted = convert(plan_document(stack, root), region)
    addresses = [r["address"] for r in converted.document["planned_values"]["root_module"]["resources"]]
    folder = out_dir / stack
    (folder / "accepted").mkdir(parents=True, exist_ok=True)
    plan_file = folder / "tfplan.json"
    plan_file.write_text(json.dumps(converted.document, indent=1))
    skips, stale = suppressions(addresses, stack, accepted)
    if stale:
        raise ScanError(f"{stack}: offline/scan_accepted.json accepts " + "; ".join(
            f"{e.check} on {e.resource}" for e in stale) + ", which matches no resource: remove the entry")
    (folder / "accepted" / "skips.tf").write_text(skips)
    try:
        done = subprocess.run([str(checkov), "-f", str(plan_file), "--framework", "terraform_plan", "--skip-download",
                               "--quiet", "-o", "json", "--repo-root-for-plan-enrichment", str(folder / "accepted")],
                              capture_output=True, text=True, cwd=folder)
    except OSError as e:
        raise ScanError(f"{stack}: can't run checkov ({checkov}): {e.strerror}; `make scan` installs it") from None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ScanError(f"{stack}: checkov exited {done.returncode} without a report: "
                        f"{(done.stderr or done.stdout).strip()[-400:]}") from None
    report = report[0] if isinstance(report, list) else report
    if "results" not in report:  # checkov's report of a file it found nothing in
        raise ScanError(f"{stack}: checkov scanned nothing in {plan_file}")
    summary = report["summary"]
    # A resource checkov didn't read would pass unseen: every converted one must be counted.
    if summary.get("resource_count") != len(addresses) or summary.get("parsing_errors"):
        raise ScanError(f"{stack}: checkov read {summary.get('resource_count')} of {len(addresses)} resources "
                        f"({summary.get('parsing_errors')} parsing errors): the scan can't be trusted")
    failed = sorted((f["check_id"], f["resource"], f["check_name"]) for f in report["results"]["failed_checks"])
    return StackResult(stack, failed, summary["skipped"], summary["passed"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stack", action="append", help="a stack to scan (repeatable); default: every stack file")
    ap.add_argument("--checkov", type=Path, default=CHECKOV)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "build" / "scan")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        accepted = load_accepted()
        results = [scan_stack(s, args.checkov, args.out_dir, accepted, args.root) for s in args.stack or stacks(args.root)]
    except ScanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for r in results:
        print(f"== {r.stack}: {len(r.failed)} failed, {r.skipped} accepted (offline/scan_accepted.json), "
              f"{r.passed} passed")
        for check, resource, name in r.failed:
            print(f"  FAILED {check} {resource}: {name}")
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
