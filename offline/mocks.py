"""The one mock engine: what AWS and the providers would answer, for tests and offline tools alike.

Registrations are answered by the handler the resource-type table names (offline/resource_types.py),
invokes by offline/mock_handlers.INVOKES. Unknown custom resource types and unknown invokes raise, so
a new resource type or data source can't silently flow through as `None`.
"""

from __future__ import annotations

from typing import Any

import grpc
import pulumi

from offline.mock_handlers import ACCOUNT_ID, INVOKES, PARTITION, ProviderError, kubernetes
from offline.resource_types import TYPES
from offline.wire import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_WIRE


class WorkshopMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes as AWS would for this program's resource types."""

    def __init__(self, region: str, stack_references: dict[str, dict] | None = None, preview: bool = False,
                 live: dict[str, Any] | None = None, missing_parameters: frozenset[str] = frozenset(),
                 log_groups: frozenset[str] = frozenset(), account: str = ACCOUNT_ID):
        self.region = region
        # The stack's account: ARNs and getCallerIdentity carry it (aws:allowedAccountIds when it pins one).
        self.account = account
        # What already runs in the account: cluster name -> LiveCluster (workshop.upgrade_guard). None
        # is a fresh account, where the upgrade guard has nothing to compare with.
        self.live = live or {}
        # SSM parameter names that don't exist in the region (AWS answers ParameterNotFound).
        self.missing_parameters = missing_parameters
        # CloudWatch log groups that exist in the account, in or out of the stack (a retained one).
        self.log_groups = log_groups
        # As in `pulumi preview`: a resource to be created has no computed outputs yet, so everything
        # computed from them reaches its dependents (and the policy pack) as unknown.
        self.preview = preview
        # StackReference name -> that stack's outputs in wire form (as a ProgramRun records them).
        self.stack_references = stack_references or {}

    # ---------------------------------------------------------------- resources

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if args.custom is False:  # a component; reads (StackReference, `get`) come with custom=None
            return "", {}
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args.resource_id or dict(args.inputs).get("name", ""))
        inputs = dict(args.inputs)
        # In a preview some inputs are unknown; the answer's shape is all that is used then.
        known = _placeholders(inputs) if self.preview else inputs
        if args.typ.startswith("kubernetes:"):
            id_, state = kubernetes(args.name, known)
        else:
            row = TYPES.get(args.typ)
            handler = row.mock if row is not None else None
            if handler is None:
                raise NotImplementedError(
                    f"offline mocks: no answer for resource type {args.typ!r} ({args.name}); "
                    "add its row to offline/resource_types.py")
            id_, computed = handler(self, args.name, known)
            state = {**known, **computed}
        if self.preview:
            # A resource to be created: what the program gave is known, what AWS computes is not.
            return "", _unknown_beyond(inputs, state)
        return id_, state

    def _stack_reference(self, name: str) -> tuple[str, dict]:
        if name not in self.stack_references:
            raise NotImplementedError(f"offline mocks: no outputs for stack reference {name!r}; "
                                      f"known: {sorted(self.stack_references)}")
        outputs = self.stack_references[name]
        # Secret outputs arrive in the wire's secret envelope; the SDK reads them as secrets.
        plain = {k: v.get("value") if isinstance(v, dict) and v.get(SECRET_SIG_KEY) == SECRET_SIG else v
                 for k, v in outputs.items()}
        secret_names = sorted(k for k, v in outputs.items() if plain[k] is not v)
        return name, {"name": name, "outputs": plain, "secretOutputNames": secret_names}

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account}:{resource}"

    # ---------------------------------------------------------------- invokes

    # The SDK's monitor takes a bare dict of outputs too (pulumi.runtime.mocks.MockMonitor.Invoke).
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:  # type: ignore[override]
        handler = INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"offline mocks: no answer for invoke {args.token!r}; add it to offline/mock_handlers.py")
        try:
            return handler(self, dict(args.args))
        except ProviderError as e:
            raise _InvokeFailed(f"invocation of {args.token} returned an error: {e}") from None


class _InvokeFailed(grpc.RpcError):
    """The engine reports a provider's invoke error as a gRPC error; the SDK raises it to the caller."""

    def __init__(self, details: str):
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


def _placeholders(value: Any) -> Any:
    """`value` with the SDK's unknown markers replaced by a string, so handlers can compute a shape."""
    if type(value).__name__ == "Unknown":
        return "unknown"
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _unknown_beyond(inputs: dict, state: dict) -> dict:
    """`state` with every value the inputs didn't give (at any depth) replaced by the unknown marker."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if key not in inputs:
            out[key] = UNKNOWN_WIRE
        elif isinstance(value, dict) and isinstance(inputs[key], dict):
            out[key] = _unknown_beyond(inputs[key], value)
        else:
            out[key] = inputs[key]
    return out
