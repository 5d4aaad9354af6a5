"""The plan: one typed, versioned model of `build/plan-<stack>.json`, shared by the runner's output,
the plan command, the estimator and the diff.

Python names are snake_case; the JSON keeps its camelCase keys, so plan files written before the
model existed read back unchanged. `Plan.load` refuses a file of another `schemaVersion` with a
message saying what to do, instead of failing later on a missing key.

The estimate's figures are made by offline/estimate.py; their types live here with the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from offline.wire import UNKNOWN_WIRE
from offline.wire import is_secret
from workshop.config import camel, config_warnings, stack_capacity, version_warnings
from workshop.versions import catalogue

SCHEMA_VERSION = 2
SECRET = "[secret]"
UNKNOWN = "[unknown]"


class PlanFormatError(ValueError):
    """A plan file this version of the tools can't read: the message says which and why."""


def mask(value: Any) -> Any:
    """The wire value with every secret replaced by "[secret]" and every unknown by "[unknown]"."""
    if is_secret(value):
        return SECRET
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def _key(name: str) -> str:
    """A field's JSON key: camelCase, as the config's wire names; `from_` (a keyword) is `from`."""
    return camel(name.rstrip("_"))


class _Json:
    """to_json/from_json by field, snake_case in Python and camelCase on disk. NESTED names the model
    of a field holding models (a list of them, or a map of them for fields in MAPS); fields in
    OMIT_EMPTY are left out of the file when empty or None, as the plan has always written them."""

    NESTED: dict[str, Any] = {}
    MAPS: frozenset[str] = frozenset()
    OMIT_EMPTY: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {_key(f.name): _to_json(getattr(self, f.name)) for f in dataclasses.fields(self)
                if not (f.name in self.OMIT_EMPTY and getattr(self, f.name) in (None, False, [], {}))}

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        if not isinstance(data, dict):
            raise PlanFormatError(f"a {cls.__name__} is {type(data).__name__}, not an object")
        kwargs = {}
        for f in dataclasses.fields(cls):
            key = _key(f.name)
            if key not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise PlanFormatError(f"a {cls.__name__} without {key!r}")
                continue
            nested = cls.NESTED.get(f.name)
            value = data[key]
            if value is None and "None" not in str(f.type):
                raise PlanFormatError(f"{cls.__name__} {key!r} is null")
            if nested is not None and value is not None:
                value = ([nested.from_json(v) for v in value] if isinstance(value, list)
                         else {k: nested.from_json(v) for k, v in value.items()} if f.name in cls.MAPS
                         else nested.from_json(value))
            kwargs[f.name] = value
        return cls(**kwargs)


def _to_json(value: Any) -> Any:
    if isinstance(value, _Json):
        return value.to_json()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class PlannedResource(_Json):
    """One registration as the engine saw it, with secrets and unknowns masked."""

    OMIT_EMPTY = frozenset({"alias_specs"})

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False  # a destroy or a delete leaves the cloud resource (retainOnDelete)
    id: str = ""
    aliases: list[str] = field(default_factory=list)  # full-URN aliases
    alias_specs: list[dict[str, Any]] = field(default_factory=list)  # name/type/parentUrn/noParent/stack/project
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation(_Json):
    """A policy's finding, as the pack reports it over gRPC."""

    policy: str
    enforcement: str  # advisory | mandatory
    urn: str
    message: str


@dataclass(frozen=True)
class NodeGroupVersion(_Json):
    version: str
    ami_type: str
    release_version: str


@dataclass(frozen=True)
class KubernetesSummary(_Json):
    """The stack's versions and their EKS support window on the plan date, from the catalogue."""

    NESTED = {"node_groups": NodeGroupVersion}
    MAPS = frozenset({"node_groups"})

    version: str
    as_of: str
    support: str
    upgrade_support_type: str
    standard_support_ends: str
    standard_days_left: int
    extended_support_ends: str
    extended_days_left: int
    rollback_from: str | None
    node_groups: dict[str, NodeGroupVersion]
    addons: dict[str, str]
    warnings: list[str]

    @classmethod
    def of(cls, cfg: Any, as_of: dt.date) -> KubernetesSummary:
        entry = catalogue().get(cfg.cluster.version)
        standard_left, extended_left = entry.days_left(as_of)
        return cls(
            version=cfg.cluster.version, as_of=as_of.isoformat(), support=entry.support(as_of),
            upgrade_support_type=cfg.cluster.upgrade_support_type,
            standard_support_ends=entry.standard_support_ends.isoformat(), standard_days_left=standard_left,
            extended_support_ends=entry.extended_support_ends.isoformat(), extended_days_left=extended_left,
            rollback_from=cfg.cluster.rollback.from_version or None,
            node_groups={name: NodeGroupVersion(g.version, g.ami_type, g.release_version)
                         for name, g in cfg.node_groups.items()},
            addons={"vpc-cni": cfg.vpc_cni.version, **cfg.addons},
            warnings=version_warnings(cfg, as_of),
        )


@dataclass(frozen=True)
class Capacity(_Json):
    """Pods per node and at max nodes, and what the busiest private subnet has left (workshop.subnets)."""

    pods_per_node: dict[str, int]
    pods_at_max_nodes: int
    subnet_prefix_length: int
    nodes_per_zone_at_max: int
    prefix_blocks_free: int
    prefix_blocks_needed: int
    addresses_free: int
    addresses_needed: int

    @classmethod
    def of(cls, cfg: Any) -> Capacity | None:
        c = stack_capacity(cfg)
        if c is None:
            return None
        return cls(c.pods_per_node, c.pods_at_max, c.prefix_length, c.nodes, c.blocks_free, c.blocks_needed,
                   c.addresses_free, c.addresses_needed)


@dataclass(frozen=True)
class CostLine(_Json):
    """One priced item of one resource, USD a month at the node groups' desired and maximum sizes."""

    urn: str
    name: str
    type: str
    item: str
    desired: float
    max: float


@dataclass(frozen=True)
class NotPriced(_Json):
    urn: str
    type: str
    why: str


@dataclass(frozen=True)
class CostEstimate(_Json):
    NESTED = {"lines": CostLine, "not_priced": NotPriced}

    region: str
    currency: str
    as_of: str
    prices_taken: str
    lines: list[CostLine]
    not_priced: list[NotPriced]  # never counted as zero
    monthly_at_desired: float
    monthly_at_max: float


@dataclass(frozen=True)
class CostUnavailable(_Json):
    """The cost of a plan in a region without a price table."""

    unavailable: str


@dataclass(frozen=True)
class PathStep(_Json):
    """A resource on the critical path: its duration and when it finishes, from the start of `up`."""

    OMIT_EMPTY = frozenset({"edge"})

    urn: str
    type: str
    name: str
    seconds: int
    finishes: int
    edge: str | None = None  # how it waits for the step before, when not by data


@dataclass(frozen=True)
class TimeEstimate(_Json):
    NESTED = {"critical_path": PathStep, "flagged": PathStep}

    critical_path_seconds: int
    serial_seconds: int
    critical_path: list[PathStep]
    flagged: list[PathStep]  # steps waiting by an explicit dependsOn nobody explained
    types_without_duration: list[str]


@dataclass(frozen=True)
class Estimate(_Json):
    cost: CostEstimate | CostUnavailable
    time: TimeEstimate

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Estimate:
        cost = data["cost"]
        return cls(CostUnavailable.from_json(cost) if "unavailable" in cost else CostEstimate.from_json(cost),
                   TimeEstimate.from_json(data["time"]))


@dataclass(frozen=True)
class EstimateDelta(_Json):
    monthly_at_desired: float
    monthly_at_max: float
    critical_path_seconds: int


@dataclass(frozen=True)
class ResourceChange(_Json):
    """A resource in both plans whose inputs or protection differ: updated in place or replaced."""

    OMIT_EMPTY = frozenset({"delete_before_replace", "may_replace"})
    urn: str
    type: str
    properties: dict[str, dict[str, Any]]  # input path -> {"old": ..., "new": ...}
    action: str  # update | replace
    replaced_by: list[str]  # the inputs that force a replacement
    delete_before_replace: bool = False
    may_replace: list[str] = field(default_factory=list)  # inputs whose change replaces only sometimes


@dataclass(frozen=True)
class UpgradeStep(_Json):
    urn: str
    type: str
    name: str
    action: str


@dataclass(frozen=True)
class Upgrade(_Json):
    """A change of the cluster's Kubernetes version read as an upgrade, in apply order."""

    from_: str
    to: str
    verdict: str
    waves: list[list[UpgradeStep]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Upgrade:
        return cls(data["from"], data["to"], data["verdict"],
                   [[UpgradeStep.from_json(s) for s in wave] for wave in data["waves"]])


@dataclass(frozen=True)
class Diff(_Json):
    """What changed since another plan of the same stack (by URN, aliases followed)."""

    NESTED = {"changed": ResourceChange, "upgrade": Upgrade, "estimate": EstimateDelta}
    OMIT_EMPTY = frozenset({"upgrade", "estimate", "refusals"})

    added: list[str]
    removed: list[str]
    changed: list[ResourceChange]
    moved: dict[str, str]  # old URN -> new URN
    warnings: list[str]
    upgrade: Upgrade | None = None
    # What the real engine or EKS would refuse (a protected resource replaced or deleted, an upgrade
    # EKS doesn't do): each fails the gate, exit 2.
    refusals: list[str] = field(default_factory=list)
    estimate: EstimateDelta | None = None  # None: one side has no cost (a region without prices)


@dataclass(frozen=True)
class Plan(_Json):
    """A stack's plan. `warnings` is None when the config summaries were not made (a base planned from
    another tree for `--against-ref`, which may predate them); then `kubernetes`, `warnings` and
    `capacity` are left out of the file."""

    NESTED = {"resources": PlannedResource, "violations": Violation, "kubernetes": KubernetesSummary,
              "capacity": Capacity, "diff": Diff, "estimate": Estimate}
    OMIT_EMPTY = frozenset({"estimate", "diff"})

    schema_version: int
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    violations: list[Violation]
    kubernetes: KubernetesSummary | None = None
    warnings: list[str] | None = None
    capacity: Capacity | None = None
    estimate: Estimate | None = None  # offline/estimate.py
    diff: Diff | None = None

    @classmethod
    def of_run(cls, run: Any, violations: Iterable[Violation] = ()) -> Plan:
        """The plan of a program run (offline.runner.ProgramRun), resources in URN order."""
        return cls(
            schema_version=SCHEMA_VERSION, project=run.project, stack=run.stack,
            resources=[PlannedResource(
                urn=r.urn, type=r.type, name=r.name, custom=r.custom, parent=r.parent,
                dependencies=r.dependencies, property_dependencies=r.property_dependencies, protect=r.protect,
                retain_on_delete=r.retain_on_delete,
                id=r.id, aliases=r.aliases, alias_specs=r.alias_specs, replace_on_changes=r.replace_on_changes,
                delete_before_replace=r.delete_before_replace, inputs=mask(r.inputs), outputs=mask(r.outputs),
            ) for r in sorted(run.resources, key=lambda r: r.urn)],
            outputs=mask(run.outputs),
            violations=list(violations),
        )

    def with_summaries(self, cfg: Any, as_of: dt.date) -> Plan:
        """The plan with its `kubernetes`, `warnings` and `capacity` sections, from the parsed config."""
        return dataclasses.replace(self, kubernetes=KubernetesSummary.of(cfg, as_of),
                                   warnings=config_warnings(cfg, as_of), capacity=Capacity.of(cfg))

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.warnings is None:
            for section in ("kubernetes", "warnings", "capacity"):
                del out[section]
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanFormatError(f"{path}: no such plan file") from None
        except IsADirectoryError:
            raise PlanFormatError(f"{path}: a directory, not a plan file") from None
        except UnicodeDecodeError as e:
            raise PlanFormatError(f"{path}: not a plan (not UTF-8 text: byte {e.start})") from None
        except OSError as e:
            raise PlanFormatError(f"{path}: can't read it: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise PlanFormatError(f"{path}: not a plan (invalid JSON: {e})") from None
        return cls.from_json(data, str(path))

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "plan") -> Plan:
        version = data.get("schemaVersion") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise PlanFormatError(f"{where}: plan schemaVersion {version}, this tool reads {SCHEMA_VERSION}: "
                                  "plan it again with this version")
        try:
            return super().from_json(data)
        except PlanFormatError as e:
            raise PlanFormatError(f"{where}: not a plan this tool wrote: {e}") from None
        except (KeyError, TypeError, AttributeError, ValueError) as e:  # a shape the model doesn't name
            raise PlanFormatError(f"{where}: not a plan this tool wrote: {type(e).__name__}: {e}") from None

    def custom_resources(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.custom]
