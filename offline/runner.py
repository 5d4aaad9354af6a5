"""Run the real program in-process under the mock engine and record what it registers.

`run_stack("dev")` reads `Pulumi.dev.yaml`, hands its config to the Pulumi runtime the way the CLI
does (every value a string, objects as JSON), executes `__main__.py`, and returns every registered
resource with its options and its inputs in the engine's wire form, plus the stack outputs.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import inspect
import json
import logging
import runpy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource_runtime
from pulumi.runtime import settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack

from offline.mock_handlers import ACCOUNT_ID
from offline.mocks import WorkshopMocks
from offline.urns import create_urn
from offline.wire import reveal
from workshop.config.credentials import secret_keys_of
from workshop.project import PROJECT, ROOT, StackFileError, load_stack_config, stacks  # noqa: F401 - the offline tools' view of the project

STACKS = tuple(stacks())



@dataclass
class RegisteredResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]
    provider: str
    id: str
    inputs: dict[str, Any]  # wire form: camelCase keys, secrets as signature objects
    outputs: dict[str, Any]
    aliases: list[str] = field(default_factory=list)  # URNs this resource had before a move
    # Aliases given as specs (Alias(name=…, parent=…, type=…, stack=…, project=…)): the engine resolves them
    alias_specs: list[dict[str, Any]] = field(default_factory=list)
    import_id: str = ""  # the ID of an existing resource this registration adopts
    retain_on_delete: bool = False
    replace_on_changes: list[str] = field(default_factory=list)  # Pulumi's replaceOnChanges option
    delete_before_replace: bool = False

    @property
    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with secret markers removed, for assertions on values."""
        return reveal(self.inputs)


@dataclass
class ProgramRun:
    project: str
    stack: str
    config: dict[str, Any] = field(default_factory=dict)  # the config the program ran with
    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # wire form, as the engine stores them

    def of_type(self, type_: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> RegisteredResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {type_} {name or ''}, found {[r.name for r in found]}")
        return found[0]


def _at_exit() -> None:
    """The SDK's mock monitor gives each executor thread an event loop and never closes it; closed
    here at exit, before interpreter teardown makes their finalizers fail noisily.

    Then every object is frozen, out of the garbage collector's reach: interpreter teardown otherwise
    walks the runs' cyclic objects again, a third of a second of every plan's exit (bench/gc_figures.py). The
    memory goes back to the system with the process; what is frozen is only cyclic garbage whose
    finalizers are skipped, and the plan closes its files and pack processes itself before this."""
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.BaseEventLoop) and not obj.is_closed() and not obj.is_running():
            obj.close()
    gc.freeze()


atexit.register(_at_exit)


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


# The engine reads a registration's stack trace only to point diagnostics at the program's source lines;
# the mock engine reports none. Taking it (traceback.extract_stack, reading each frame's source line) was
# half the time of every run, so offline runs register with an empty one: nothing else changes.
pulumi_resource_runtime._get_stack_trace = _no_stack_trace


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping the registration options the engine would see."""

    def __init__(self, mocks: pulumi.runtime.Mocks, run: ProgramRun):
        super().__init__(mocks)
        self.run = run
        self.stack_urn = ""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them (offline/urns.py). The SDK's mock keeps only the parent's last
        type and keeps the stack's, which no real state has."""
        return create_urn(name, type_, parent, settings.get_project(), settings.get_stack())

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        self.run.resources.append(RegisteredResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=request.custom,
            parent=request.parent,
            # Sets to the engine; sorted so that runs (and plan files) compare equal.
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={k: sorted(set(v.urns)) for k, v in sorted(request.propertyDependencies.items())},
            protect=request.protect if request.HasField("protect") else False,
            ignore_changes=list(request.ignoreChanges),
            provider=request.provider,
            id=response.id,
            inputs=json_format.MessageToDict(request.object),
            outputs=json_format.MessageToDict(response.object),
            aliases=sorted(a.urn for a in request.aliases if a.urn),
            alias_specs=[json_format.MessageToDict(a.spec) for a in request.aliases if a.HasField("spec")],
            import_id=request.importId,
            retain_on_delete=request.retainOnDelete if request.HasField("retainOnDelete") else False,
            replace_on_changes=list(request.replaceOnChanges),
            delete_before_replace=request.deleteBeforeReplace,
        ))
        return response

    def ReadResource(self, request):  # noqa: N802 - gRPC method name
        response = super().ReadResource(request)
        self.run.resources.append(RegisteredResource(
            urn=response.urn, type=request.type, name=request.name, custom=True, parent=request.parent,
            dependencies=sorted(set(request.dependencies)), property_dependencies={}, protect=False,
            ignore_changes=[], provider=request.provider, id=request.id,
            inputs=json_format.MessageToDict(request.properties),
            outputs=json_format.MessageToDict(response.properties),
        ))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.run.outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


def to_runtime_config(values: dict[str, Any]) -> dict[str, str]:
    """Encode config values as the CLI hands them to a program: strings, objects as JSON."""
    encoded = {}
    secret = secret_keys_of(values)
    for key, value in values.items():
        if key in secret:
            encoded[key] = "[secret]"  # the CLI decrypts it; offline there is no key to
        elif isinstance(value, (dict, list)):
            encoded[key] = json.dumps(value)
        elif isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        else:
            encoded[key] = str(value)
    return encoded


def run_program(stack: str, config: dict[str, Any], program: Path = ROOT / "__main__.py",
                preview: bool = False, run: ProgramRun | None = None, project: str = PROJECT,
                mocks: WorkshopMocks | None = None) -> ProgramRun:
    """Execute the program file under the mock engine with `config`; raises what the program raises.

    Pass `run` to keep what was registered even when the program fails, `project` and `mocks` to run
    another project (a consumer of this stack, with its StackReference outputs).
    """
    return run_function(stack, config, lambda: runpy.run_path(str(program), run_name="__main__"),
                        preview, run, project, mocks)


class _InlineRpcLoop(asyncio.SelectorEventLoop):
    """The event loop of a mock run. The SDK sends every engine RPC through `run_in_executor`, a thread
    handoff that costs more than the mock monitor's answer itself (a third of a run was the loop waiting on
    the pool); the mock engine answers in-process and at once, so the call runs right here. The program
    sees what it sees from a real engine: a future that resolves to the RPC's answer."""

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting coroutine, as the pool would
            future.set_exception(e)
        return future


# What the program logs (pulumi.log.warn: the config's warnings) goes nowhere here: the plan reports those
# warnings itself, once, with the stack's name. The SDK's default is the root logger, which printed each
# one bare on stderr, again for every run.
_ENGINE_LOG = logging.getLogger("eks-workshop.mock-engine")
_ENGINE_LOG.addHandler(logging.NullHandler())
_ENGINE_LOG.propagate = False


def stack_region(config: dict[str, Any]) -> str:
    """`aws:region`, or the config model's default where the stack file has none (one default)."""
    from workshop.config.model import StackConfig

    return str(config.get("aws:region") or StackConfig.model_fields["region"].default)


def pinned_account(config: dict[str, Any]) -> str | None:
    """The account the stack pins (`aws:allowedAccountIds` with one entry), or None."""
    pinned = config.get("aws:allowedAccountIds")
    if isinstance(pinned, str):
        try:
            pinned = json.loads(pinned)
        except json.JSONDecodeError:
            pinned = [pinned]
    if isinstance(pinned, list) and len(pinned) == 1 and str(pinned[0]).isdigit():
        return str(pinned[0])
    return None


def stack_account(config: dict[str, Any]) -> str:
    """The account the stack's ARNs carry offline: the one it pins, else AWS's documentation example."""
    return pinned_account(config) or ACCOUNT_ID


# A run allocates some hundred thousand short-lived objects in reference cycles (each output's futures,
# callbacks and tasks). At CPython's default gen-0 threshold (700) the collector ran every few hundred of
# them and, in its older generations, walked the SDK's own import-time objects over and over: a third of a
# warm run of dev was garbage collection (bench/gc_figures.py prints the figures). During a run the
# collector waits for this many new objects instead; the cycles are still collected, in fewer passes.
RUN_GC_THRESHOLD = 20_000


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(RUN_GC_THRESHOLD, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


_SDK_DIR = str(Path(pulumi.__file__).parent)


def _close_unstarted_sdk_coroutines() -> None:
    """The coroutines the SDK made for a failed run's outputs and never started (`Output.future`,
    `Output.is_known`): closed, or each warns "coroutine … was never awaited" whenever it is collected,
    long after the run, in whatever code runs then."""
    for obj in gc.get_objects():
        if (inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED
                and obj.cr_code.co_filename.startswith(_SDK_DIR)):
            obj.close()


def run_function(stack: str, config: dict[str, Any], program: Callable[[], Any],
                 preview: bool = False, run: ProgramRun | None = None, project: str = PROJECT,
                 mocks: WorkshopMocks | None = None) -> ProgramRun:
    """Execute `program` (a function that registers resources) as a stack under the mock engine."""
    run = run if run is not None else ProgramRun(project=project, stack=stack)
    run.config = dict(config)
    monitor = RecordingMonitor(mocks or WorkshopMocks(stack_region(config), account=stack_account(config)), run)
    # The SDK schedules registrations on the current loop: a fresh one per run isolates runs.
    loop = _InlineRpcLoop()
    asyncio.set_event_loop(loop)
    try:
        # A failed run leaves its RPCs and output tasks behind, bound to its closed loop.
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        # As the CLI: values written `{secure: …}` arrive decrypted (here a stand-in) and listed as secret.
        pulumi.runtime.set_all_config(to_runtime_config(config), sorted(secret_keys_of(config)))
        settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per run, as each CLI invocation has
        pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                                 logger=_ENGINE_LOG)
        # set_mocks made a placeholder stack; run_in_stack makes the real one. (The SDK types the argument
        # as a Resource, but None is what resets it, as its own tests do.)
        settings.set_root_resource(None)  # type: ignore[arg-type]
        with _fewer_collections():
            loop.run_until_complete(run_in_stack(program))
    except BaseException:
        # The error goes to the caller; the run's abandoned outputs would otherwise each report it
        # again ("exception was never retrieved") whenever they are garbage-collected.
        loop.set_exception_handler(lambda _loop, _context: None)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        _close_unstarted_sdk_coroutines()
        raise
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return run


def run_stack(stack: str, root: Path = ROOT, overrides: dict[str, Any] | None = None,
              preview: bool = False, live: dict[str, Any] | None = None,
              missing_parameters: frozenset[str] = frozenset(), log_groups: frozenset[str] = frozenset()
              ) -> ProgramRun:
    """Run the program for `Pulumi.<stack>.yaml`, with optional config keys replaced.

    `preview` runs it as `pulumi preview` sees a new stack: computed values unknown. `live` says what
    already runs in the account (cluster name -> workshop.upgrade_guard.LiveCluster), and
    `missing_parameters` which SSM parameters the region lacks, `log_groups` which CloudWatch log
    groups exist (a destroyed stack's retained ones, for a rebuild).
    """
    config = {**load_stack_config(stack, root), **(overrides or {})}
    mocks = WorkshopMocks(stack_region(config), preview=preview, live=live, missing_parameters=missing_parameters,
                          log_groups=log_groups, account=stack_account(config))
    return run_program(stack, config, root / "__main__.py", preview=preview, mocks=mocks)
