"""The entry points: a stack's config values in, a ResolvedStackConfig or every problem out."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import ValidationError

from workshop import labs, versions
from workshop.config.credentials import plaintext_credentials, secret_keys_of
from workshop.config.errors import ConfigError, Problems, messages
from workshop.config.model import StackConfig
from workshop.config.resolve import ResolvedStackConfig, resolve_versions
from workshop.config.rules import camel
from workshop.config.stack_warnings import config_warnings
from workshop.project import PROJECT, ROOT

NAMESPACES = (PROJECT, "aws", "kubernetes", "random", "pulumi")


@functools.cache
def aws_config_keys() -> tuple[str, ...]:
    """Every setting the pulumi-aws provider reads (`aws:region`, `aws:allowedAccountIds`, …): its SDK's
    config properties, camelCase as in a stack file."""
    from pulumi_aws.config import vars as aws_vars

    return tuple(sorted(camel(name) for name, v in vars(aws_vars._ExportableConfig).items() if isinstance(v, property)))


def _foreign_key_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`aws:regoin` and `eks-workshp:cluster` are typos the CLI passes on silently (the value is then
    ignored and a default used): each is named against the keys the provider and the program know."""
    problems = []
    for key in values:
        namespace, _, name = key.partition(":")
        if namespace == "aws" and name not in aws_config_keys():
            near = difflib.get_close_matches(name, aws_config_keys(), n=1)
            problems.append((key, f"not a setting of the aws provider{f'; did you mean aws:{near[0]}?' if near else ''}"))
        elif namespace not in NAMESPACES and (near := difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.8)):
            problems.append((key, f"unknown namespace {namespace!r}; did you mean {near[0]}:{name}?"))
    return problems


def parse(values: Mapping[str, Any], as_of: dt.date | None = None,
          secret_keys: frozenset[str] | None = None) -> ResolvedStackConfig:
    """Build and validate the model from fully-qualified config keys (`aws:region`, `eks-workshop:x`).

    The same values on the same date give the same (immutable) config: a plan reads every stack file for its
    checks across stacks, and the program reads its own again, so a valid result is kept (`_parse_text`)."""
    when = as_of or versions.plan_date()
    key = (json.dumps(values, sort_keys=True, default=lambda o: f"<{type(o).__name__}:{o!r}>"), when, secret_keys)
    found = _PARSED.get(key)
    if found is None:
        found = _parse(values, when, secret_keys)  # a ConfigError is raised, not kept
        if len(_PARSED) >= 256:
            _PARSED.clear()
        _PARSED[key] = found
    return found


_PARSED: dict[tuple[str, dt.date, frozenset[str] | None], ResolvedStackConfig] = {}


def _parse(values: Mapping[str, Any], as_of: dt.date | None = None,
           secret_keys: frozenset[str] | None = None) -> ResolvedStackConfig:
    """parse()'s work, on the values themselves.

    Values are already decoded (objects as dicts). Version pins left at `catalogue` come back resolved
    for the stack's Kubernetes versions; support windows are judged on `as_of` (the plan date).
    `secret_keys` are the keys the CLI decrypted (default: those written `{secure: …}` in `values`); a
    credential outside them is refused (workshop.config.credentials).
    Raises ConfigError listing every problem.
    """
    problems = Problems()
    for key, message in _foreign_key_problems(values):
        problems.add(key, message)
    secret = secret_keys_of(values) if secret_keys is None else secret_keys
    for key, message in plaintext_credentials(values, secret):
        problems.add(key, message)
    if "aws:region" not in values:
        problems.add("aws:region", "missing: set it with `pulumi config set aws:region <region>`")
    # Other namespaces (aws:, pulumi:, providers') are not this program's to judge; an empty YAML key is unset.
    ours = {k: v for k, v in values.items()
            if (k.startswith(f"{PROJECT}:") or k == "aws:region") and v is not None}
    try:
        cfg = StackConfig.model_validate(ours, by_alias=True, by_name=False)
    except ValidationError as e:
        problems += messages(e)
    if not problems and cfg.ide.enabled:
        try:
            labs.lab_policy_documents(cfg.cluster.name, cfg.region)
        except labs.LabPoliciesTooLarge as e:
            problems.add(f"{PROJECT}:ide.enabled", f"true, but {e}; the permissions come from "
                                                   f"{labs.TABLE_FILE.relative_to(ROOT)} (docs/ide.md)")
    if problems:
        raise ConfigError(problems)
    resolved = resolve_versions(cfg, as_of or versions.plan_date(), problems)
    if problems or resolved is None:
        raise ConfigError(problems)
    return resolved


def from_pulumi() -> ResolvedStackConfig:
    """Read every config value of this stack from the Pulumi runtime and parse it."""
    import pulumi.runtime.config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    as_of = versions.plan_date()
    values: dict[str, Any] = {}
    for key, text in raw.items():
        try:
            values[key] = json.loads(text) if isinstance(text, str) and text[:1] in "{[" else text
        except json.JSONDecodeError:
            values[key] = text
        # Scalars arrive as strings; the model's types decide how to read them.
        if isinstance(values[key], str) and key.startswith(f"{PROJECT}:"):
            values[key] = _scalar(values[key])
    secret = frozenset(k for k in raw if runtime_config.is_config_secret(k)) | secret_keys_of(values)
    cfg = parse(values, as_of, secret)
    for warning in config_warnings(cfg, as_of):
        pulumi.log.warn(warning)
    return cfg


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    return text
