"""Every generated part of the docs, written by `make docs`; tests/test_docs.py fails while one is stale.

workshop/docs.py contributes what needs only the config package (the configuration reference, the
version table, the output contract, the stack files' schema). This module adds what needs the offline
tools: the sample summary `make plan` prints for dev (README), the roles' IAM actions
(docs/deploy.md, from offline/iam_actions.py), the plan file's JSON Schema and field reference
(docs/plan.schema.json, docs/plan.md, from offline/plan_model.py) and every stack's estimate
(docs/plan.md).

    venv/bin/python -m offline.docs        (`make docs`)
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from offline.plan_model import CostEstimate, Plan
from workshop import docs as config_docs
from workshop.docs import Section
from workshop.project import PROMOTION_ORDER, module_name

ROOT = config_docs.ROOT
PLAN_SCHEMA_FILE = ROOT / "docs" / "plan.schema.json"
# The samples are planned on the date the tests pin, so that they change only when the program does.
SAMPLE_DATE = "2026-11-25"


@cache
def _planned() -> dict[str, tuple[str, Plan]]:
    """`make plan` of the project's stacks on SAMPLE_DATE: what it printed for each, and its plan file."""
    from offline.plan import main

    out = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(io.StringIO()):
        # Only dev's samples show the pack's verdict: the other stacks are planned without starting theirs.
        main(["--out-dir", tmp, "--as-of", SAMPLE_DATE, "--stack", "dev"])
        main(["--out-dir", tmp, "--as-of", SAMPLE_DATE, "--no-policy",
              *(a for s in PROMOTION_ORDER if s != "dev" for a in ("--stack", s))])
        plans = {s: Plan.load(Path(tmp) / f"plan-{s}.json") for s in PROMOTION_ORDER}
    # Each stack's printout starts with its summary line, `== <project>/<stack>`.
    blocks = re.split(r"^(?=== )", out.getvalue(), flags=re.M)
    printed = {block.split("\n", 1)[0].rsplit("/", 1)[-1]: block for block in blocks if block.startswith("== ")}
    return {s: (printed[s], plans[s]) for s in PROMOTION_ORDER}


def plan_sample() -> str:
    """The summary `make plan STACK=dev` prints (its first block), planned on SAMPLE_DATE."""
    summary = _planned()["dev"][0].split("\n\n", 1)[0]
    return f"```\n{summary}\n…\n```"


def plan_verdict() -> str:
    """The policy verdict `make plan STACK=dev` prints, planned on SAMPLE_DATE."""
    printed = _planned()["dev"][0]
    block = printed[printed.index("Policy verdict"):].split("\n\n", 1)[0]
    return f"```\n{block}\n```"


# The bad edits the config-error samples make to dev's stack file: (text in the file, what replaces it).
CONFIG_ERROR_EDITS = {
    "one": (("      minSize: 3\n", "      minSize: 4\n"),),
    "several": (("      minSize: 3\n", "      minSize: 4\n"), ("    natGateways: single", "    natGateways: none"),
                ("  eks-workshop:ide:", "  eks-workshop:logEncryption: yes\n  eks-workshop:ide:")),
}


def config_error(kind: str) -> str:
    """What `make plan STACK=dev` prints (stderr) for dev's stack file with CONFIG_ERROR_EDITS[kind] made."""
    from offline.plan import PlanError, _run_program

    text = (ROOT / "Pulumi.dev.yaml").read_text()
    for old, new in CONFIG_ERROR_EDITS[kind]:
        if old not in text:
            raise ValueError(f"Pulumi.dev.yaml no longer has {old!r}: update offline/docs.py CONFIG_ERROR_EDITS")
        text = text.replace(old, new, 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "Pulumi.dev.yaml").write_text(text)
        (root / "__main__.py").write_text((ROOT / "__main__.py").read_text())
        try:
            _run_program("dev", root, preview=False)
        except PlanError as e:
            return f"```\nerror: {e}\n```"
    raise ValueError(f"the {kind} config-error sample planned without an error")


def deploy_policies() -> str:
    """dev's preview and deploy policies, as `make deploy-policy STACK=dev` writes them."""
    from offline.deploy_policy import stack_policies
    from offline.runner import run_stack

    result = stack_policies(run_stack("dev"))
    out = []
    for role, documents in (("preview", result.preview), ("deploy", result.deploy)):
        for i, document in enumerate(documents, 1):
            out += [f"`build/iam/dev/{role}-{i}.json`:", "", "```json", json.dumps(document, indent=1), "```", ""]
    out.append("Left out, each with why: " + "; ".join(f"`{a}` ({why})" for a, why in sorted(result.left_out.items())))
    return "\n".join(out)


def ide_cost() -> str:
    """What the IDE adds to dev's monthly estimate, line by line, from dev's plan on SAMPLE_DATE."""
    _, plan = _planned()["dev"]
    cost = plan.estimate.cost if plan.estimate else None
    if not isinstance(cost, CostEstimate):
        raise ValueError("plan-dev.json has no cost estimate")
    ide = [line for line in cost.lines if f"{plan.project}:ide:WorkshopIde$" in line.urn]
    parts = [f"{line.item} ({line.name}) {line.desired:.2f} USD" for line in ide]
    return (f"In {cost.region}, running all month ({SAMPLE_DATE} prices, `estimates/`): " + "; ".join(parts)
            + f": **{sum(line.desired for line in ide):.2f} USD a month**.")


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s"


def estimates_table() -> str:
    """Cost and create time of the project's stacks on SAMPLE_DATE, read from their plans."""
    lines = [f"Planned on {SAMPLE_DATE} (`make plan AS_OF={SAMPLE_DATE}`):", "",
             "| stack | region | Kubernetes | per month at desired nodes | at max nodes | critical path | serial |",
             "|---|---|---|---|---|---|---|"]
    for stack, (_, plan) in _planned().items():
        if plan.estimate is None or plan.kubernetes is None:
            raise ValueError(f"plan-{stack}.json has no estimate or Kubernetes summary")
        cost, time = plan.estimate.cost, plan.estimate.time
        if isinstance(cost, CostEstimate):
            region, desired, at_max = cost.region, f"{cost.monthly_at_desired:,.2f} USD", f"{cost.monthly_at_max:,.2f} USD"
        else:
            region, desired, at_max = "", cost.unavailable, ""
        lines.append(f"| {stack} | {region} | {plan.kubernetes.version} | {desired} | {at_max} | "
                     f"{_minutes(time.critical_path_seconds)} | {_minutes(time.serial_seconds)} |")
    return "\n".join(lines)


def components_table() -> str:
    """Each component the project's stacks create: its type token, its file and what its docstring says it
    builds. A type token ends in its class's name (`eks-workshop:network:Network`)."""
    import importlib
    import inspect

    import pulumi

    tokens = sorted({r.type for _, plan in _planned().values() for r in plan.resources
                     if not r.custom and r.type.startswith(f"{plan.project}:")})
    classes = {}
    for path in sorted((ROOT / "components").rglob("*.py")):
        module = importlib.import_module(module_name(path))
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__:
                classes[name] = (cls, path.relative_to(ROOT))
    lines = ["| component | type token | builds |", "|---|---|---|"]
    for token in tokens:
        cls, path = classes[token.rsplit(":", 1)[-1]]
        about = " ".join(inspect.cleandoc(cls.__doc__ or "").split()).replace(f" (`{token}`)", "")
        lines.append(f"| `{cls.__name__}` (`{path}`) | `{token}` | {about} |")
    return "\n".join(lines)


def plan_schema() -> dict[str, Any]:
    """The plan file's JSON Schema, from the model pydantic reads it with."""
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "build/plan-<stack>.json (generated by `make docs` from offline/plan_model.py)",
            **{k: v for k, v in config_docs.without_titles(schema).items() if k != "title"}}


def plan_fields() -> str:
    """Every part of the plan file and its fields, from the schema's descriptions."""
    schema = plan_schema()
    parts = {"Plan": schema, **schema["$defs"]}
    out = []
    for name, part in parts.items():
        about = part.get('description', '').replace(chr(10), ' ')
        out += [f"**{name}**: {about}", "", "| field | type | meaning |", "|---|---|---|"]
        required = set(part.get("required", []))
        for key, prop in part["properties"].items():
            optional = "" if key in required else " (optional)"
            out.append(f"| `{key}` | {_type(prop)}{optional} | {prop.get('description', '').replace(chr(10), ' ')} |")
        out.append("")
    return "\n".join(out).rstrip()


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return f"`{prop['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of {_type(prop['additionalProperties'])}"
    return str(kind)


def sections() -> list[Section]:
    return [
        *config_docs.sections(),
        Section(ROOT / "README.md", "plan-sample", plan_sample),
        Section(ROOT / "README.md", "config-error", lambda: config_error("one")),
        Section(ROOT / "docs" / "your-own-stack.md", "config-errors", lambda: config_error("several")),
        Section(ROOT / "docs" / "deploy.md", "deploy-policies", deploy_policies),
        Section(ROOT / "docs" / "plan.md", "plan-verdict", plan_verdict),
        Section(ROOT / "docs" / "architecture.md", "components", components_table),
        Section(ROOT / "docs" / "plan.md", "plan-fields", plan_fields),
        Section(ROOT / "docs" / "plan.md", "estimates", estimates_table),
        Section(ROOT / "docs" / "ide.md", "ide-cost", ide_cost),
    ]


def files() -> dict[Path, str]:
    return {**config_docs.files(), PLAN_SCHEMA_FILE: json.dumps(plan_schema(), indent=2) + "\n"}


def main() -> int:
    try:
        for section in sections():
            section.path.write_text(section.render(section.path.read_text()))
    except ValueError as e:
        print(f"error: {e}")
        return 1
    for path, content in files().items():
        path.write_text(content)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
