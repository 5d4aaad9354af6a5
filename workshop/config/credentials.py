"""Credentials never sit in a stack file in plaintext: `pulumi config set --secret` encrypts them.

A stack file is committed and read by everyone with the repository. The checks, each with the reason:
- the aws provider's own credential settings (`aws:accessKey`, `aws:secretKey`, `aws:token`) are secret
  whatever their value;
- a key whose name says it holds a credential (`…password`, `…secret`, `…token`, `…privateKey`, …), in
  any namespace, nested keys and tag keys included;
- a value shaped like an AWS credential: an access key ID (`AKIA…`/`ASIA…`, 20 characters, the IAM
  user guide's "Managing access keys") or a secret access key (40 characters of base64's alphabet with
  upper case, lower case and a digit; a git commit, 40 lower-case hex digits, is not one).

Only plaintext is refused: a key the CLI decrypts (`secure:` in the file) is listed in the run's secret
keys and passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

PROVIDER_CREDENTIALS = ("aws:accessKey", "aws:secretKey", "aws:token")
CREDENTIAL_NAME = re.compile(r"(password|passwd|passphrase|secret|token|api_?key|private_?key|credential)",
                             re.IGNORECASE)
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


def _looks_like_secret_key(text: str) -> bool:
    return any(all(re.search(kind, m.group()) for kind in ("[A-Z]", "[a-z]", "[0-9]"))
               for m in SECRET_ACCESS_KEY.finditer(text))


def _leaves(key: str, value: Any) -> Iterator[tuple[str, str, Any]]:
    """(config key path, the last key's name, value) for the value and everything nested in it."""
    yield key, key.rpartition(":")[2].rpartition(".")[2], value
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(f"{key}.{k}", v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(f"{key}[{i}]", v)


def plaintext_credentials(values: Mapping[str, Any], secret_keys: frozenset[str]) -> list[tuple[str, str]]:
    """(key, problem) for every credential written in plaintext among a stack's config values."""
    problems = []
    fix = "remove it from the stack file and set it with `pulumi config set --secret {key} <value>`"
    for top, value in values.items():
        if top in secret_keys or value in (None, "", {}, []):
            continue
        if top in PROVIDER_CREDENTIALS:
            problems.append((top, f"a credential of the aws provider in plaintext: {fix.format(key=top)} (better: "
                                  "no key at all, a profile or the CI role's OIDC credentials)"))
            continue
        for key, name, leaf in _leaves(top, value):
            named = isinstance(name, str) and CREDENTIAL_NAME.search(name)
            if named and leaf not in (None, "", {}, []) and not isinstance(leaf, (bool, Mapping)):
                problems.append((key, f"its name says it holds a credential, and the stack file has it in "
                                      f"plaintext: {fix.format(key=top)}"))
            elif isinstance(leaf, str) and "PRIVATE KEY-----" in leaf:
                problems.append((key, f"the value holds a PEM private key, in plaintext: {fix.format(key=top)}"))
            elif isinstance(leaf, str) and "-----BEGIN CERTIFICATE" not in leaf and (
                    ACCESS_KEY_ID.search(leaf) or _looks_like_secret_key(leaf)):  # certificates are public
                problems.append((key, f"the value looks like an AWS access key, in plaintext: "
                                      f"{fix.format(key=top)}, or better, use no key at all"))
    return problems


def secret_keys_of(values: Mapping[str, Any]) -> frozenset[str]:
    """The keys a stack file holds encrypted (`key: {secure: v1:…}`): the CLI decrypts them and lists them as
    the run's secret keys."""
    return frozenset(k for k, v in values.items() if isinstance(v, Mapping) and set(v) == {"secure"})

