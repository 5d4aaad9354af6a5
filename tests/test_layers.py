"""The program's layers, read from every import statement (module-level or inside functions).

    workshop (config model, value types, catalogue)  <-  components  <-  wiring.py, __main__.py
                                                     <-  offline (mock engine, plan, estimate)

Components take their own Args and the config package's value types, never the stack config
itself; the config package knows nothing of components; no module imports itself back.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from workshop.project import module_name

ROOT = Path(__file__).resolve().parent.parent
LAYERED = ("__main__.py", "wiring.py", "components", "workshop", "offline", "scripts", "bench")


def _modules() -> dict[str, Path]:
    found = {}
    for entry in LAYERED:
        path = ROOT / entry
        for file in ([path] if path.suffix == ".py" else sorted(path.rglob("*.py"))):
            found[module_name(file)] = file
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The project modules `path` imports: `from a.b import c` is a.b.c when that is a module, else a.b."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                     for a in node.names]
        else:
            continue
        out |= {n for n in names if n in MODULES or n.partition(".")[0] in {m.partition(".")[0] for m in MODULES}}
    return out


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _third_party(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.partition(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.partition(".")[0])
    project = {m.partition(".")[0] for m in MODULES}
    return {r for r in roots if r not in project and r not in sys.stdlib_module_names and r != "__future__"}


def test_the_graph_sees_the_known_imports():
    # The reader must find what is certainly there, or every other assertion here passes vacuously.
    assert "wiring" in GRAPH["__main__"] and "components.cluster" in GRAPH["__main__"]
    assert "workshop.config.model" in GRAPH["workshop.config.errors"]
    assert "offline.resource_types" in GRAPH["offline.mocks"]


def test_no_module_imports_itself_back():
    cycles = []
    for start in GRAPH:
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        seen: set[str] = set()
        while stack:
            name, path = stack.pop()
            for dep in GRAPH.get(name, ()):
                if dep == start:
                    cycles.append(" -> ".join((*path, dep)))
                elif dep not in seen:
                    seen.add(dep)
                    stack.append((dep, (*path, dep)))
    assert cycles == []


def test_components_know_only_pulumi_their_own_args_and_the_value_types():
    for name, deps in GRAPH.items():
        if name.startswith("components"):
            assert {d for d in deps if not d.startswith("components")} <= {"workshop.config"}, name
            assert _third_party(MODULES[name]) <= {"pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_random"}, name


def test_the_config_package_sits_below_components_and_wiring():
    for name, deps in GRAPH.items():
        if name.startswith("workshop"):
            assert not {d for d in deps if d.partition(".")[0] in ("components", "wiring", "offline")}, name


def test_wiring_is_the_only_place_config_meets_components():
    meet = {name for name, deps in GRAPH.items()
            if any(d.startswith("components") for d in deps) and "workshop.config" in deps
            and not name.startswith("components")}
    # __main__ reads the config and composes components from wiring's Args; the offline tools only run it.
    assert meet <= {"wiring", "__main__"}


def test_mypy_reads_every_pulumi_aws_service_the_program_uses_and_no_other():
    import re
    import tomllib

    from offline.mock_handlers import INVOKES
    from offline.resource_types import TYPES

    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    (read,) = [set(o["module"]) for o in overrides if o.get("follow_imports") == "normal"]
    tokens = [t for t in (*TYPES, *INVOKES) if t.startswith("aws:")]
    services = {t.split(":")[1].split("/")[0] for t in tokens} - {"index"}
    functions = {re.sub(r"(?<!^)(?=[A-Z])", "_", t.split(":")[-1]).lower() for t in tokens if t.startswith("aws:index/")}
    used = {m for s in services for m in (f"pulumi_aws.{s}", f"pulumi_aws.{s}.*")} | {f"pulumi_aws.{f}" for f in functions}
    package = {"pulumi_aws", "pulumi_aws._enums", "pulumi_aws._inputs", "pulumi_aws._utilities", "pulumi_aws.outputs",
               "pulumi_aws.provider", "pulumi_aws.config", "pulumi_aws.config.*"}
    assert read - package == used


def test_every_component_and_args_class_says_what_it_builds_and_what_each_field_means():
    import dataclasses
    import importlib
    import inspect

    import pulumi

    undocumented = []
    for name in sorted(n for n in MODULES if n.startswith("components.")):
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            doc = inspect.cleandoc(cls.__doc__ or "")  # its own, not one inherited from pulumi
            if issubclass(cls, pulumi.ComponentResource) and len(doc) < 40:
                undocumented.append(f"{name}.{cls_name}")
            if cls_name.endswith("Args") and dataclasses.is_dataclass(cls):
                attributes = doc.partition("Attributes:")[2]
                missing = [f.name for f in dataclasses.fields(cls) if f"{f.name}:" not in attributes]
                if missing:
                    undocumented.append(f"{name}.{cls_name}: {missing}")
    assert undocumented == []
