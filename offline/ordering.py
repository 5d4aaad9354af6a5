"""The ordering check: a resource that names another resource must wait for it.

A real `pulumi up` creates a resource as soon as its inputs are known. An input that carries another
resource's identity (its ID, ARN or name) as a plain string carries no dependency, so the engine may
send it to AWS before that resource exists: the IDE's access entry, given the cluster's name as a
string, would be created while the cluster still is. The mock engine answers instantly and can't show
that race; this check finds its cause in any program run: every such input must reach the resource
through an Output of the named resource or an explicit `depends_on` on it.

Tag values (`tags` at any depth) are exempt: they label (`env`, `karpenter.sh/discovery`) without
using what they name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from offline.runner import ProgramRun, RegisteredResource
from offline.wire import reveal

# Outputs that identify a resource to AWS APIs, besides its ID.
IDENTITY_OUTPUTS = ("arn", "name")
# Inputs whose values name things without using them.
LABELS = frozenset({"tags", "tagsAll"})


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in LABELS:
                yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _identities(r: RegisteredResource) -> set[str]:
    outputs = reveal(r.outputs)
    values = {r.id} | {outputs.get(k) for k in IDENTITY_OUTPUTS}
    # "none" is the ID of resources with no identity in AWS (random's passwords).
    return {v for v in values if isinstance(v, str) and v and v != "none"}


def _waits_for(run: ProgramRun) -> dict[str, set[str]]:
    """Every resource's dependencies, transitively: waiting for B, which waits for C, waits for C."""
    direct = {r.urn: set(r.dependencies) | {u for urns in r.property_dependencies.values() for u in urns}
              for r in run.resources}
    closed: dict[str, set[str]] = {}

    def close(urn: str) -> set[str]:
        if urn not in closed:
            closed[urn] = set()  # the graph is acyclic; this only stops a malformed run from recursing
            closed[urn] = set().union(*({d} | close(d) for d in direct.get(urn, ())))
        return closed[urn]

    return {urn: close(urn) for urn in direct}


def unordered_references(run: ProgramRun) -> list[str]:
    """One line per input that names another resource without depending on it."""
    owners: dict[str, list[RegisteredResource]] = {}
    for r in run.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            for value in _identities(r):
                owners.setdefault(value, []).append(r)
    problems = []
    waits_for = _waits_for(run)
    for r in run.resources:
        for path, value in _strings(reveal(r.inputs)):
            for owner in owners.get(value, []):
                if owner.urn != r.urn and owner.urn not in waits_for[r.urn]:
                    problems.append(
                        f"{r.type} {r.name}: input {path} = {value!r} names {owner.type} {owner.name} without "
                        f"depending on it; pass {owner.name}'s output (or depends_on) so it is created after it")
    return sorted(set(problems))
