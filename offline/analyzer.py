"""Talk to the policy pack the way the Pulumi CLI does: start it, read its port, speak gRPC.

For a local Python pack the CLI (through the Python language host) runs, in the pack's directory,
`<pack>/<virtualenv>/bin/python -u -m pulumi.policy <engine address> <pack directory>` with the
virtualenv `PulumiPolicy.yaml` names and the stack in PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN,
PULUMI_CONFIG (the stack's config as JSON) and PULUMI_ORGANIZATION; it creates no virtualenv itself
(`make install` does). `pulumi.policy` runs the pack's `__main__.py`, which prints the port of its
analyzer server. The CLI then calls `GetAnalyzerInfo`, validates the `--policy-pack-config` against
every policy's config schema (failing the run on a bad level or property), sends it as `Configure`
(with `all` expanded and every policy's level explicit), `Analyze` for each resource's inputs and
`AnalyzeStack` with every resource's outputs, options and dependencies.

Sources: pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go (RunPlugin),
sdk/python/lib/pulumi/policy/__main__.py, pkg/resource/analyzer/config.go (ReconcilePolicyPackConfig).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from offline.pack_env import POLICY_PACK, pack_python
from offline.plan_model import Violation
from offline.runner import PROJECT, ProgramRun, RegisteredResource, load_stack_config, to_runtime_config

# No engine runs offline; `pulumi.policy` accepts the argument and doesn't use it.
NO_ENGINE = "127.0.0.1:0"
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "disabled": analyzer_pb2.DISABLED, "remediate": analyzer_pb2.REMEDIATE}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def policy_config_path(stack: str, root: Path = POLICY_PACK) -> Path:
    """`policies/config/<stack>.json`, or `default.json` for a stack without its own (a personal one)."""
    own = root / "config" / f"{stack}.json"
    return own if own.exists() else root / "config" / "default.json"


def load_policy_config(stack: str, root: Path = POLICY_PACK) -> dict[str, Any]:
    return json.loads(policy_config_path(stack, root).read_text())


class PolicyConfigError(Exception):
    """A `--policy-pack-config` the CLI would refuse: the run fails before anything is analyzed."""


class PolicyPackProcess:
    """The pack started as the CLI starts it, with a client for its analyzer service."""

    def __init__(self, pack: Path = POLICY_PACK, project: str = PROJECT, stack: str = "dev",
                 dry_run: bool = True, stack_config: dict[str, Any] | None = None):
        pack = pack.resolve()
        config = stack_config if stack_config is not None else load_stack_config(stack)
        env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack,
               "PULUMI_DRY_RUN": "true" if dry_run else "false", "PULUMI_ORGANIZATION": "organization",
               "PULUMI_CONFIG": json.dumps(to_runtime_config(config))}
        self.command = [str(pack_python(pack)), "-u", "-m", "pulumi.policy", NO_ENGINE, str(pack)]
        self.stack, self.stack_config = stack, config
        # Started now, connected when first asked: the pack boots while the caller does other work.
        self.process = subprocess.Popen(self.command, cwd=pack, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            assert self.process.stdout is not None and self.process.stderr is not None  # started with pipes
            line = self.process.stdout.readline().decode().strip()
            if not line.isdigit():
                self.process.kill()
                raise RuntimeError(f"policy pack did not print a port: {line!r} "
                                   f"{self.process.stderr.read().decode()[-2000:]}")
            self.port = int(line)
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self.process.kill()
        self.process.wait(timeout=10)

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ the protocol

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        if self._info is None:
            self._info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        return self._info

    def configure(self, config: dict[str, Any]) -> dict[str, str]:
        """Apply a `--policy-pack-config` document as the CLI does; returns each policy's effective
        level. Raises PolicyConfigError where the CLI would refuse the document."""
        info = self.info()
        default_all = config.get("all")
        if default_all is not None and default_all not in LEVELS:
            raise PolicyConfigError(f'parsing enforcement level for "all": "{default_all}" is not a valid '
                                    "enforcement level")
        # Properties for a policy the pack doesn't have would configure nothing: a typo, refused.
        known = {policy.name for policy in info.policies}
        for name, entry in config.items():
            if name != "all" and name not in known and isinstance(entry, dict) and set(entry) - {"enforcementLevel"}:
                raise PolicyConfigError(f'"{name}" is not a policy of {info.name} {info.version}; its properties '
                                        f"{sorted(set(entry) - {'enforcementLevel'})} would configure nothing")
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        levels = {}
        problems = []
        for policy in info.policies:
            entry = config.get(policy.name, {})
            if isinstance(entry, str):
                entry = {"enforcementLevel": entry}
            level = entry.get("enforcementLevel") or default_all or LEVEL_NAMES[policy.enforcementLevel]
            if level not in LEVELS:
                raise PolicyConfigError(f'parsing enforcement level for "{policy.name}": "{level}" is not a valid '
                                        "enforcement level")
            properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            # The CLI fills schema defaults in, then validates against the policy's config schema.
            schema = json_format.MessageToDict(policy.configSchema.properties)
            for key, spec in schema.items():
                if "default" in spec and key not in properties:
                    properties[key] = spec["default"]
            # Formats asserted, as the CLI's gojsonschema does (`format: date` must parse as YYYY-MM-DD).
            validator = jsonschema.Draft7Validator({"type": "object", "properties": schema,
                                                    "required": list(policy.configSchema.required)},
                                                   format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
            for error in sorted(validator.iter_errors(properties), key=lambda e: list(e.path)):
                where = ".".join(str(p) for p in error.path) or "(root)"
                message = (f"Does not match format '{error.validator_value}'" if error.validator == "format"
                           else error.message)
                problems.append(f"{info.name} {info.version}  {policy.name}: {where}: {message}")
            request.policyConfig[policy.name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level], properties=_struct(properties)))
            levels[policy.name] = level
        if problems:
            raise PolicyConfigError("validating policy config: " + "; ".join(problems))
        self.stub.Configure(request)
        return levels

    def analyze(self, resource: RegisteredResource) -> list[Violation]:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name,
            properties=_struct(resource.inputs),
            options=_options(resource))
        return _violations(self.stub.Analyze(request).diagnostics, resource.urn)

    def analyze_stack(self, resources: Iterable[RegisteredResource]) -> list[Violation]:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, urn=r.urn, name=r.name, properties=_struct(r.outputs), options=_options(r),
                parent=r.parent, dependencies=r.dependencies,
                propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                      for k, v in r.property_dependencies.items()})
            for r in resources])
        return _violations(self.stub.AnalyzeStack(request).diagnostics, "")

    def analyze_run(self, run: ProgramRun) -> list[Violation]:
        """Every resource of a program run, then the stack: what `pulumi preview --policy-pack` checks."""
        violations = [v for r in run.resources for v in self.analyze(r)]
        return violations + self.analyze_stack(run.resources)


def _options(r: RegisteredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, ignoreChanges=r.ignore_changes, parent=r.parent)


def _violations(diagnostics, default_urn: str) -> list[Violation]:
    return [Violation(policy=d.policyName, enforcement=LEVEL_NAMES[d.enforcementLevel], urn=d.urn or default_urn,
                      message=d.message)
            for d in diagnostics]

