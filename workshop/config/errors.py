"""From pydantic's errors to the project's message form, `<config key>: <bad value> <rule>`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Annotated, Any, Union, get_args, get_origin

import pulumi
from pydantic import BaseModel, ValidationError

from workshop.config.model import StackConfig
from workshop.project import PROJECT


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one `<key>: <value> <rule>` line each.

    A RunError, so the Pulumi CLI prints the message alone, without a traceback.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  " + "\n  ".join(problems))


def _key(loc: Iterable[Any]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _join(key: str, relative: str) -> str:
    if not relative:
        return key
    if not key or relative.startswith(f"{PROJECT}:"):
        return relative
    return key + (relative if relative.startswith("[") else f".{relative}")


def unwrap(tp: Any) -> Any:
    """The type under Annotated/Optional wrappers."""
    while get_origin(tp) in (Annotated, Union):
        tp = get_args(tp)[0]
    return tp


def _known_keys(loc: tuple) -> list[str]:
    """The wire names the model at `loc` accepts."""
    tp: Any = StackConfig
    for part in loc:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if n == part or f.alias == part), None)
            if field is None:
                return []
            tp = field.annotation
        else:  # a tuple item or a map value: the key or index says nothing about the type
            tp = get_args(tp)[-1] if get_origin(tp) is not tuple else get_args(tp)[0]
    tp = unwrap(tp)
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return []
    # At the top, the project's own keys as the file's reader thinks of them; aws:region is the provider's.
    prefix = f"{PROJECT}:"
    return sorted(a.removeprefix(prefix) for a in (f.alias or n for n, f in tp.model_fields.items())
                  if tp is not StackConfig or a.startswith(prefix))


_TYPE_NAMES = {"bool_type": "true or false", "int_type": "a whole number", "string_type": "a string",
               "tuple_type": "a list", "list_type": "a list", "dict_type": "a map", "model_type": "a map",
               "mapping_type": "a map", "model_attributes_type": "a map"}


def messages(error: ValidationError) -> list[str]:
    lines = []
    for e in error.errors(include_url=False):
        key, value, kind = _key(e["loc"]), e.get("input"), e["type"]
        if kind == "rule":
            lines += [f"{_join(key, relative)}: {message}" for relative, message in e["ctx"]["problems"]]
        elif kind == "extra_forbidden":
            lines.append(f"{key}: unknown key (known: {', '.join(_known_keys(e['loc'][:-1]))})")
        elif kind == "literal_error":
            choices = ", ".join(re.findall(r"'([^']*)'", e["ctx"]["expected"]))
            lines.append(f"{key}: {value!r} must be one of {choices}")
        elif kind == "string_type" and isinstance(value, dt.date):
            lines.append(f"{key}: {value.isoformat()} must be a string: quote the date (YAML reads an unquoted "
                         "2026-11-20 as a date)")
        elif kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            # YAML read a number: an unquoted 1.30 arrives as 1.3, so the file's text can't be echoed back.
            lines.append(f"{key}: {value!r} must be a string: quote the value as written in the file (YAML reads "
                         "an unquoted 1.30 as the number 1.3)")
        elif kind in _TYPE_NAMES:
            lines.append(f"{key}: {value!r} must be {_TYPE_NAMES[kind]}")
        else:  # a rule the model states with pydantic's own constraint (none today): its words
            lines.append(f"{key}: {value!r} {e['msg'][:1].lower()}{e['msg'][1:]}")
    return lines


class Problems(list[str]):
    """Problems found so far, each one `<key>: <message>` line; all of them are reported at once."""

    def add(self, key: str, message: str) -> None:
        self.append(f"{key}: {message}")
