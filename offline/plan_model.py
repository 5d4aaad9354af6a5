"""The plan: one typed, versioned model of `build/plan-<stack>.json`, shared by the runner's output,
the plan command, the estimator and the diff.

Python names are snake_case; the JSON keeps its camelCase keys, so plan files written before the
model existed read back unchanged. `Plan.load` refuses a file of another `schemaVersion` with a
message saying what to do, instead of failing later on a missing key.

The estimate's figures are made by offline/estimate.py; their types live here with the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Self, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, ValidationError, model_serializer

from offline.wire import UNKNOWN_WIRE, is_secret
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


class PlanModel(BaseModel):
    """A part of the plan file: snake_case in Python, camelCase on disk, immutable. Fields named in
    OMIT_EMPTY are left out of the file when empty, None or false, as the plan has always written them.
    Keys the model doesn't name are ignored, as the plan's readers always did."""

    model_config = ConfigDict(frozen=True, alias_generator=_key, validate_by_name=True, validate_by_alias=True,
                              use_attribute_docstrings=True, extra="ignore")
    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset()

    def _omitted(self) -> set[str]:
        return {name for name in self.OMIT_EMPTY if getattr(self, name) in (None, False, [], {})}

    @model_serializer(mode="wrap")
    def _without_empty(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        for name in self._omitted():
            out.pop(_key(name), None)
        return out

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        if not isinstance(data, dict):
            raise PlanFormatError(f"a {cls.__name__} is {type(data).__name__}, not an object")
        try:
            return cls.model_validate(data, by_alias=True, by_name=False)
        except ValidationError as e:
            raise PlanFormatError(_first_problem(cls, e)) from None


def _first_problem(model: type[BaseModel], error: ValidationError) -> str:
    """pydantic's first error in the plan's words: which part lacks or nulls which key."""
    e = error.errors(include_url=False)[0]
    owner: Any = model
    loc = list(e["loc"])
    for part in loc[:-1]:
        owner = _inner(owner, part)
    key = str(loc[-1]) if loc else ""
    name = getattr(owner, "__name__", "plan")
    if e["type"] == "missing":
        return f"a {name} without {key!r}"
    if e.get("input", ...) is None:
        return f"{name} {key!r} is null"
    return f"{'.'.join(map(str, loc))}: {e['msg']}"


def _inner(owner: Any, part: Any) -> Any:
    """The type one step into `owner` along an error location: a field, an item, a union member."""
    if isinstance(owner, type) and issubclass(owner, BaseModel):
        field = next((f for n, f in owner.model_fields.items() if _key(n) == part), None)
        return owner if field is None else _unwrap(field.annotation)
    args = [a for a in get_args(owner) if a is not type(None)]
    named = next((a for a in args if getattr(a, "__name__", None) == part), None)
    if named is not None:
        return named
    return _unwrap(args[-1]) if args else owner


def _unwrap(tp: Any) -> Any:
    """A field's model: through Optional, and through list and dict to what they hold."""
    while get_origin(tp) in (list, dict, Union, UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != 1 and get_origin(tp) not in (list, dict):
            return tp  # a union of models: the error's location names the member
        tp = args[-1]
    return tp


class PlannedResource(PlanModel):
    """One registration as the engine saw it, with secrets and unknowns masked."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"alias_specs", "ignore_changes"})

    urn: str
    """The resource's URN; `resources` is sorted by it."""
    type: str
    """The type token, `aws:eks/cluster:Cluster` or a component's `eks-workshop:…`."""
    name: str
    """The logical name."""
    custom: bool
    """False for components."""
    parent: str
    """The parent's URN."""
    dependencies: list[str] = []
    """URNs it waits for."""
    property_dependencies: dict[str, list[str]] = {}
    """Input name to the URNs its value comes from."""
    protect: bool = False
    """The `protect` option: the engine refuses to delete or replace it."""
    retain_on_delete: bool = False
    """The `retainOnDelete` option: a destroy or a delete leaves the cloud resource."""
    id: str = ""
    """The mock engine's ID."""
    aliases: list[str] = []
    """Full-URN aliases."""
    alias_specs: list[dict[str, Any]] = []
    """Aliases given as `name`/`type`/`parentUrn`/`noParent`/`stack`/`project`; left out when none."""
    replace_on_changes: list[str] = []
    """The `replaceOnChanges` option."""
    ignore_changes: list[str] = []
    """The `ignoreChanges` option: inputs an update leaves as they are; left out when none."""
    delete_before_replace: bool = False
    """A replacement deletes it before creating the new one (the option, or a name the provider would generate)."""
    inputs: dict[str, Any] = {}
    """The inputs in camelCase wire form, as the engine receives them; secrets `[secret]`, unknowns `[unknown]`."""
    outputs: dict[str, Any] = {}
    """The inputs plus the mock's computed values."""


class LabsVerdict(PlanModel):
    """Whether the EKS workshop's labs can run on the stack (a stack with the IDE only):
    offline/labs_check.py judges the plan against workshop/workshop_labs.json."""

    repository: str
    """The workshop repository the needs were read from."""
    ref: str
    """Its branch the IDE runs."""
    commit: str
    """The commit the needs were read at."""
    committed: str
    """That commit's date."""
    missing: list[str]
    """What a lab would miss, one line each; empty: ready."""

    @property
    def ready(self) -> bool:
        return not self.missing


class Violation(PlanModel):
    """A policy's finding, as the pack reports it over gRPC."""

    policy: str
    """The policy's name."""
    enforcement: str
    """`advisory` or `mandatory`."""
    urn: str
    """The resource; empty for a stack-wide finding."""
    message: str
    """What the policy says, with its remediation."""


class NodeGroupVersion(PlanModel):
    """A node group's resolved versions."""

    version: str
    """Kubernetes minor of the nodes."""
    ami_type: str
    """EKS-optimized AMI family."""
    release_version: str
    """AMI release."""


class KubernetesSummary(PlanModel):
    """The stack's versions and their EKS support window on the plan date, from the catalogue."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"auto_mode_node_pools"})

    version: str
    """Kubernetes minor of the control plane."""
    as_of: str
    """The plan date support is judged on."""
    support: str
    """`unreleased`, `standard`, `extended` or `ended` on that date."""
    upgrade_support_type: str
    """`STANDARD` or `EXTENDED`."""
    standard_support_ends: str
    """Date standard support ends."""
    standard_days_left: int
    """Days from the plan date to that end (negative: past)."""
    extended_support_ends: str
    """Date extended support ends."""
    extended_days_left: int
    """Days from the plan date to that end."""
    rollback_from: str | None
    """`cluster.rollback.fromVersion` when a rollback is configured."""
    node_groups: dict[str, NodeGroupVersion]
    """Each node group's versions."""
    addons: dict[str, str]
    """Add-on name to the version in use (catalogue pins resolved), vpc-cni included."""
    warnings: list[str]
    """Support windows closing and unconfirmed pins."""
    auto_mode_node_pools: list[str] = []
    """With EKS Auto Mode (`cluster.autoMode`), its built-in node pools; left out otherwise."""

    @classmethod
    def of(cls, cfg: Any, as_of: dt.date) -> KubernetesSummary:
        entry = catalogue().get(cfg.cluster.version)
        if entry is None:  # parse() refuses a version the catalogue lacks
            raise ValueError(f"cluster.version {cfg.cluster.version!r} is not in the catalogue")
        standard_left, extended_left = entry.days_left(as_of)
        auto = cfg.cluster.auto_mode.enabled
        return cls(
            version=cfg.cluster.version, as_of=as_of.isoformat(), support=entry.support(as_of),
            upgrade_support_type=cfg.cluster.upgrade_support_type,
            standard_support_ends=entry.standard_support_ends.isoformat(), standard_days_left=standard_left,
            extended_support_ends=entry.extended_support_ends.isoformat(), extended_days_left=extended_left,
            rollback_from=cfg.cluster.rollback.from_version or None,
            node_groups={name: NodeGroupVersion(version=g.version, ami_type=g.ami_type, release_version=g.release_version)
                         for name, g in cfg.node_groups.items()},
            # Auto Mode runs its own pod networking: no vpc-cni add-on.
            addons={**({} if auto else {"vpc-cni": cfg.vpc_cni.version}), **cfg.addons},
            warnings=version_warnings(cfg, as_of),
            auto_mode_node_pools=list(cfg.cluster.auto_mode.node_pools) if auto else [],
        )


class Capacity(PlanModel):
    """What the busiest private subnet must hold with every node group at maxSize (workshop.subnets)."""

    pods_per_node: dict[str, int]
    """Node group to the pods one node runs."""
    pods_at_max_nodes: int
    """Pods with every group at maxSize."""
    subnet_prefix_length: int
    """Prefix length of the private subnets."""
    nodes_per_zone_at_max: int
    """Nodes in the busiest zone at maxSize."""
    prefix_blocks_free: int
    """Aligned /28 blocks a private subnet has for prefix delegation."""
    prefix_blocks_needed: int
    """Blocks those nodes need."""
    addresses_free: int
    """Addresses a private subnet has."""
    addresses_needed: int
    """Addresses those nodes need."""

    @classmethod
    def of(cls, cfg: Any) -> Capacity | None:
        c = stack_capacity(cfg)
        if c is None:
            return None
        return cls(pods_per_node=c.pods_per_node, pods_at_max_nodes=c.pods_at_max, subnet_prefix_length=c.prefix_length,
                   nodes_per_zone_at_max=c.nodes, prefix_blocks_free=c.blocks_free, prefix_blocks_needed=c.blocks_needed,
                   addresses_free=c.addresses_free, addresses_needed=c.addresses_needed)


class CostLine(PlanModel):
    """One priced item of one resource."""

    urn: str
    """The resource."""
    name: str
    """Its logical name."""
    type: str
    """Its type token."""
    item: str
    """What is priced, with its assumption."""
    desired: float
    """USD a month at the node groups' desired size."""
    max: float
    """USD a month at their maximum size."""


class NotPriced(PlanModel):
    """A resource the estimate could not price; never counted as zero."""

    urn: str
    """The resource."""
    type: str
    """Its type token."""
    why: str
    """Why (spot prices vary, no price for an instance type, no rule for the type)."""


class CostEstimate(PlanModel):
    """What the stack costs a month at list prices (offline/estimate.py, estimates/)."""

    region: str
    """The region priced."""
    currency: str
    """`USD`."""
    as_of: str
    """The plan date."""
    prices_taken: str
    """When the region's price table was taken."""
    lines: list[CostLine]
    """Every priced item."""
    not_priced: list[NotPriced]
    """What could not be priced."""
    monthly_at_desired: float
    """Total USD a month at desired node counts."""
    monthly_at_max: float
    """Total USD a month at maximum node counts."""


class CostUnavailable(PlanModel):
    """The cost of a plan in a region without a price table."""

    unavailable: str
    """Why there is no cost."""


class PathStep(PlanModel):
    """A resource on the critical path: its duration and when it finishes, from the start of `up`."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"edge"})

    urn: str
    """The resource."""
    type: str
    """Its type token."""
    name: str
    """Its logical name."""
    seconds: int
    """Its typical create time (offline/resource_types.py)."""
    finishes: int
    """Seconds from the start of `up` when it is created."""
    edge: str | None = None
    """How it waits for the step before when not by data (an explicit dependsOn); left out otherwise."""


class TimeEstimate(PlanModel):
    """How long a first `up` takes: the critical path through the dependency graph."""

    critical_path_seconds: int
    """Seconds on the critical path (what `up` waits for: independent resources are created in parallel)."""
    serial_seconds: int
    """Seconds a fully serial tool would take."""
    critical_path: list[PathStep]
    """The path, in order."""
    flagged: list[PathStep]
    """Steps waiting by an explicit dependsOn nobody explained."""
    types_without_duration: list[str]
    """Types the table doesn't time (counted as 5 s)."""


class Estimate(PlanModel):
    """Cost and time of creating the stack."""

    cost: CostEstimate | CostUnavailable
    """The monthly cost, or why there is none."""
    time: TimeEstimate
    """The create time."""


class EstimateDelta(PlanModel):
    """How a change moves the estimate."""

    monthly_at_desired: float
    """USD a month at desired node counts, new minus old."""
    monthly_at_max: float
    """USD a month at maximum node counts, new minus old."""
    critical_path_seconds: int
    """Critical-path seconds, new minus old."""


class ResourceChange(PlanModel):
    """A resource in both plans whose inputs or protection differ: updated in place or replaced."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"delete_before_replace", "may_replace"})

    urn: str
    """The resource (its new URN when moved)."""
    type: str
    """Its type token."""
    properties: dict[str, dict[str, Any]]
    """Input path to `{"old": …, "new": …}`."""
    action: str
    """`update` or `replace`."""
    replaced_by: list[str]
    """The inputs that force the replacement."""
    delete_before_replace: bool = False
    """The replacement deletes the old resource first; left out otherwise."""
    may_replace: list[str] = []
    """Inputs whose change replaces only under a condition of the provider's; left out when none."""


class UpgradeStep(PlanModel):
    """A resource an upgrade changes."""

    urn: str
    """The resource."""
    type: str
    """Its type token."""
    name: str
    """Its logical name."""
    action: str
    """`update` or `replace`."""


class Upgrade(PlanModel):
    """A change of the cluster's Kubernetes version read as an upgrade, in apply order."""

    from_: str
    """The version the base plan runs."""
    to: str
    """The version this plan runs."""
    verdict: str
    """Whether EKS does it (`ok: …`) or refuses it (`refused: …`, which fails the gate)."""
    waves: list[list[UpgradeStep]]
    """The changed resources in the order `pulumi up` applies them."""


class Diff(PlanModel):
    """What changed since another plan of the same stack (by URN, aliases followed)."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"upgrade", "estimate", "refusals"})

    added: list[str]
    """URNs to create."""
    removed: list[str]
    """URNs to delete."""
    changed: list[ResourceChange]
    """Resources updated or replaced."""
    moved: dict[str, str]
    """Old URN to new, by alias: compared, not re-created."""
    warnings: list[str]
    """Replacements and deletions of stateful resources, downgrades, add-on versions going back."""
    upgrade: Upgrade | None = None
    """When the cluster's version changes; left out otherwise."""
    refusals: list[str] = []
    """What the real preview or EKS would refuse (a protected resource replaced or deleted, an upgrade EKS
    doesn't do): each fails the gate, exit 2. Left out when none."""
    estimate: EstimateDelta | None = None
    """Cost and time deltas; left out when one side has no cost (a region without prices)."""


class Plan(PlanModel):
    """A stack's plan. `warnings` is None when the config summaries were not made (a base planned from
    another tree for `--against-ref`, which may predate them); then `kubernetes`, `warnings` and
    `capacity` are left out of the file."""

    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset({"estimate", "diff", "labs"})

    schema_version: int
    """The file's format; this tool reads and writes 2 and refuses another."""
    project: str
    """The Pulumi project, `eks-workshop`."""
    stack: str
    """The stack planned."""
    resources: list[PlannedResource]
    """Every registration, sorted by URN."""
    outputs: dict[str, Any]
    """The stack outputs; secrets `[secret]`."""
    violations: list[Violation]
    """The policy pack's findings."""
    kubernetes: KubernetesSummary | None = None
    """The versions and their support window."""
    warnings: list[str] | None = None
    """What plans but deserves attention: support windows, deliberate deviations, clashes across stacks."""
    capacity: Capacity | None = None
    """Pod and address capacity; null without the instance types' ENI data."""
    estimate: Estimate | None = None
    """Cost and create time; left out of a base plan."""
    diff: Diff | None = None
    """Only with `--against`/`--against-ref`: what changes against the base plan."""
    labs: LabsVerdict | None = None
    """Only for a stack with the workshop IDE: whether the workshop's labs can run on it."""

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
                delete_before_replace=r.delete_before_replace, ignore_changes=r.ignore_changes,
                inputs=mask(r.inputs), outputs=mask(r.outputs),
            ) for r in sorted(run.resources, key=lambda r: r.urn)],
            outputs=mask(run.outputs),
            violations=list(violations),
        )

    def with_summaries(self, cfg: Any, as_of: dt.date) -> Plan:
        """The plan with its `kubernetes`, `warnings` and `capacity` sections, from the parsed config."""
        return self.model_copy(update={"kubernetes": KubernetesSummary.of(cfg, as_of),
                                       "warnings": config_warnings(cfg, as_of), "capacity": Capacity.of(cfg)})

    def _omitted(self) -> set[str]:
        summaries = {"kubernetes", "warnings", "capacity"} if self.warnings is None else set()
        return super()._omitted() | summaries

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
    def from_json(cls, data: Any, where: str = "plan") -> Plan:
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
