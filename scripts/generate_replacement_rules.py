#!/usr/bin/env python3
"""Derive, from provider Go sources, which Pulumi inputs force replacement (ForceNew).

Usage (the repository's venv: the type list is the `terraform` column of offline/resource_types.py):
    venv/bin/python scripts/generate_replacement_rules.py --aws PATH --random PATH [--sdk PATH] [--out FILE]
        [--aws-version V] [--random-version V] [--pulumi-aws-version V] [--pulumi-random-version V]
        [--aws-overlay DIR ...] [--report FILE]
    venv/bin/python scripts/generate_replacement_rules.py --aws PATH [--sdk PATH] --only TOKEN
        --out offline/replacement_rules.json --aws-version V     (a type just added: merged in)

--aws     a terraform-provider-aws tree (git worktree or extracted tree; needs internal/service/ and names/)
--random  a terraform-provider-random tree (needs internal/provider/)
--sdk     optional: the installed pulumi_aws Python SDK directory; used to confirm Pulumi wire names
          (camelCase, pluralised lists, flattened MaxItems=1 blocks) and to list inputs the source lacks
--aws-overlay  optional extra directories laid over --aws (same relative layout); a file found in an
          overlay replaces the same relative path of the base tree (for newer single-file versions)

What is read (standard library only, no Go toolchain; a small Go lexer + brace matcher):
  SDKv2 resources   `// @SDKResource("aws_x", ...)` then the constructor's `Schema:` / `SchemaFunc:` map;
                    `ForceNew: true` at any depth (nested `Elem: &schema.Resource{...}`, helper functions
                    and package variables in the same package are followed); `ForceNew: <expr>` other
                    than true is reported as conditional.
  CustomizeDiff     `d.ForceNew("a.0.b")`, `customdiff.ForceNewIf("a", ...)`,
                    `customdiff.ForceNewIfChange("a", ...)` in the constructor's CustomizeDiff expression and
                    in same-package functions it names (followed two calls deep) -> conditional.
  Region (v6)       if the tree has the provider-level `forceNewIfRegionChanges` interceptor, each regional
                    resource (one whose Pulumi inputs have `region`, or, without --sdk, one not in a global
                    service) gets the conditional `region` rule.
  Framework         `// @FrameworkResource("aws_x", ...)` (aws) or a `Metadata` method setting
                    `req.ProviderTypeName + "_x"` (random); the type's `Schema` method (or the Schema method
                    of an embedded struct, or a function it returns); attributes/blocks whose
                    `PlanModifiers` contain `RequiresReplace()` are forceNew; `RequiresReplaceIf(...)` /
                    `RequiresReplaceIfConfigured()` are conditional; `resp.RequiresReplace` in ModifyPlan is
                    conditional.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Optional

# --------------------------------------------------------------------------------------------
# Pulumi type token -> Terraform resource type: the `terraform` column of the resource-type table
# (offline/resource_types.py), so a type added there is a type analysed here.


def table_types() -> tuple[dict[str, str], dict[str, str]]:
    """(aws types, random types) from the resource-type table, token -> Terraform resource."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
    from offline.resource_types import TYPES

    bridged = {token: row.terraform for token, row in TYPES.items() if row.terraform}
    return ({t: tf for t, tf in bridged.items() if t.startswith('aws:')},
            {t: tf for t, tf in bridged.items() if t.startswith('random:')})


AWS_TYPES, RANDOM_TYPES = table_types()
# Services whose resources are global in the AWS provider (no per-resource `region`); used only
# when no --sdk is given.
GLOBAL_SERVICES = {"iam", "cloudfront"}

# Behaviour documented in the provider that the rules must carry as data (path in TF names).
SPECIAL_CONDITIONS = {
    # aws_instance: customdiff.ForceNewIf("user_data"/"user_data_base64", d.Get("user_data_replace_on_change"))
    ("aws_instance", "user_data"): "userDataReplaceOnChange",
    ("aws_instance", "user_data_base64"): "userDataReplaceOnChange",
}


# --------------------------------------------------------------------------------------------
# A small Go lexer: enough to skip strings/comments and match brackets.

class GoText:
    """Go source with comments blanked (same offsets) so brackets and commas can be matched."""

    def __init__(self, src: str):
        self.src = src
        self.code = self._blank_comments(src)

    @staticmethod
    def _blank_comments(s: str) -> str:
        out = list(s)
        i, n = 0, len(s)
        while i < n:
            c = s[i]
            if c == '/' and i + 1 < n and s[i + 1] == '/':
                j = s.find('\n', i)
                j = n if j < 0 else j
                for k in range(i, j):
                    out[k] = ' '
                i = j
            elif c == '/' and i + 1 < n and s[i + 1] == '*':
                j = s.find('*/', i + 2)
                j = n if j < 0 else j + 2
                for k in range(i, j):
                    if out[k] != '\n':
                        out[k] = ' '
                i = j
            elif c == '"':
                i = GoText._skip_interpreted(s, i)
            elif c == '`':
                j = s.find('`', i + 1)
                i = n if j < 0 else j + 1
            elif c == "'":
                i = GoText._skip_rune(s, i)
            else:
                i += 1
        return ''.join(out)

    @staticmethod
    def _skip_interpreted(s: str, i: int) -> int:
        i += 1
        n = len(s)
        while i < n:
            if s[i] == '\\':
                i += 2
                continue
            if s[i] == '"' or s[i] == '\n':
                return i + 1
            i += 1
        return n

    @staticmethod
    def _skip_rune(s: str, i: int) -> int:
        i += 1
        n = len(s)
        while i < n:
            if s[i] == '\\':
                i += 2
                continue
            if s[i] == "'":
                return i + 1
            if s[i] == '\n':
                return i
            i += 1
        return n

    def skip_string(self, i: int) -> int:
        c = self.code[i]
        if c == '"':
            return self._skip_interpreted(self.code, i)
        if c == '`':
            j = self.code.find('`', i + 1)
            return len(self.code) if j < 0 else j + 1
        if c == "'":
            return self._skip_rune(self.code, i)
        return i + 1

    def match(self, i: int) -> int:
        """Index just past the bracket that closes the one at i."""
        pairs = {'(': ')', '[': ']', '{': '}'}
        stack = [pairs[self.code[i]]]
        j = i + 1
        n = len(self.code)
        while j < n and stack:
            c = self.code[j]
            if c in '"`\'':
                j = self.skip_string(j)
                continue
            if c in pairs:
                stack.append(pairs[c])
            elif c in ')]}':
                if c != stack[-1]:
                    raise ValueError(f"unbalanced bracket at {j}")
                stack.pop()
            j += 1
        if stack:
            raise ValueError("unterminated bracket")
        return j

    def split_top(self, start: int, end: int, sep: str = ',') -> list[tuple[int, int]]:
        """Split code[start:end] at top-level `sep`; returns (s, e) spans, stripped, non-empty."""
        parts, depth, j, s = [], 0, start, start
        while j < end:
            c = self.code[j]
            if c in '"`\'':
                j = self.skip_string(j)
                continue
            if c in '([{':
                depth += 1
            elif c in ')]}':
                depth -= 1
            elif c == sep and depth == 0:
                parts.append((s, j))
                s = j + 1
            j += 1
        parts.append((s, end))
        out = []
        for a, b in parts:
            while a < b and self.code[a].isspace():
                a += 1
            while b > a and self.code[b - 1].isspace():
                b -= 1
            if a < b:
                out.append((a, b))
        return out

    def top_colon(self, start: int, end: int) -> int:
        """Index of the first top-level ':' in code[start:end], or -1."""
        depth, j = 0, start
        while j < end:
            c = self.code[j]
            if c in '"`\'':
                j = self.skip_string(j)
                continue
            if c in '([{':
                depth += 1
            elif c in ')]}':
                depth -= 1
            elif c == ':' and depth == 0:
                return j
            j += 1
        return -1


def go_string(lit: str) -> Optional[str]:
    lit = lit.strip()
    if len(lit) >= 2 and lit[0] == '"' and lit[-1] == '"':
        return bytes(lit[1:-1], 'utf-8').decode('unicode_escape')
    if len(lit) >= 2 and lit[0] == '`' and lit[-1] == '`':
        return lit[1:-1]
    return None


# --------------------------------------------------------------------------------------------
# A Go package: its files, its top-level funcs, vars and string consts.

FUNC_RE = re.compile(r'^func\s+(?:\(\s*(?:(\w+)\s+)?\*?(\w+)(?:\[[^\]]*\])?\s*\)\s*)?(\w+)\s*(?:\[[^\]]*\])?\s*\(', re.M)


@dataclass
class Func:
    name: str
    recv: Optional[str]
    text: GoText
    start: int           # index of 'func'
    body: tuple[int, int]  # span inside the body braces
    path: str


class Package:
    def __init__(self, directory: str, files: dict[str, str]):
        self.dir = directory
        self.texts: dict[str, GoText] = {p: GoText(s) for p, s in files.items()}
        self.funcs: dict[str, list[Func]] = {}
        self.methods: dict[tuple[str, str], Func] = {}
        self.vars: dict[str, tuple[GoText, int, int]] = {}
        self.consts: dict[str, str] = {}
        self.structs: dict[str, tuple[GoText, int, int]] = {}
        for p, t in self.texts.items():
            self._index(p, t)

    def _index(self, path: str, t: GoText) -> None:
        code = t.code
        for m in FUNC_RE.finditer(code):
            # find the body's opening brace: after the parameter and result lists
            try:
                j = t.match(m.end() - 1)  # past params
            except ValueError:
                continue
            k = j
            while k < len(code) and code[k] != '{' and code[k] != '\n':
                if code[k] in '([':
                    k = t.match(k)
                    continue
                k += 1
            if k >= len(code) or code[k] != '{':
                # result list may start on the same line and include braces (rare); skip
                continue
            try:
                e = t.match(k)
            except ValueError:
                continue
            f = Func(m.group(3), m.group(2), t, m.start(), (k + 1, e - 1), path)
            if f.recv:
                self.methods[(f.recv, f.name)] = f
            else:
                self.funcs.setdefault(f.name, []).append(f)
        # package-level vars: `var name = <expr>` and `var ( name = <expr> ... )`
        for m in re.finditer(r'^var\s+(\w+)\s*(?:[\w.*\[\]]+\s*)?=\s*', code, re.M):
            s = m.end()
            e = self._expr_end(t, s)
            self.vars[m.group(1)] = (t, s, e)
        for m in re.finditer(r'^(?:var|const)\s*\(', code, re.M):
            try:
                e = t.match(m.end() - 1)
            except ValueError:
                continue
            block_start = m.end()
            for line_m in re.finditer(r'^\s*(\w+)\s*(?:[\w.*\[\]]+\s*)?=\s*', code[block_start:e - 1], re.M):
                s = block_start + line_m.end()
                ee = self._expr_end(t, s)
                name = line_m.group(1)
                val = code[s:ee].strip()
                if go_string(val) is not None:
                    self.consts[name] = go_string(val)
                else:
                    self.vars.setdefault(name, (t, s, ee))
        for m in re.finditer(r'^const\s+(\w+)\s*(?:\w+\s*)?=\s*("(?:[^"\\\n]|\\.)*")', code, re.M):
            self.consts[m.group(1)] = go_string(m.group(2))
        for m in re.finditer(r'^type\s+(\w+)\s+struct\s*\{', code, re.M):
            try:
                e = t.match(m.end() - 1)
            except ValueError:
                continue
            self.structs[m.group(1)] = (t, m.end(), e - 1)

    @staticmethod
    def _expr_end(t: GoText, s: int) -> int:
        code, j, n = t.code, s, len(t.code)
        while j < n:
            c = code[j]
            if c in '"`\'':
                j = t.skip_string(j)
                continue
            if c in '([{':
                j = t.match(j)
                continue
            if c == '\n' or c == ';':
                # a line may continue after a binary operator or a '.'
                prev = code[s:j].rstrip()
                if prev.endswith(('+', '-', '*', '/', '||', '&&', '.', ',', '(')):
                    j += 1
                    continue
                return j
            if c == ')':
                return j
            j += 1
        return n

    def func(self, name: str) -> Optional[Func]:
        fs = self.funcs.get(name)
        return fs[0] if fs else None


def load_package(directory: str) -> Package:
    files = {}
    for fn in sorted(os.listdir(directory)):
        if fn.endswith('.go') and not fn.endswith('_test.go'):
            p = os.path.join(directory, fn)
            with open(p, encoding='utf-8') as fh:
                files[p] = fh.read()
    return Package(directory, files)


# --------------------------------------------------------------------------------------------
# Attribute model

@dataclass
class Attr:
    name: str
    kind: str = ''                 # TypeString / TypeList / ... / framework attribute kind
    force_new: bool = False
    force_new_expr: Optional[str] = None   # ForceNew: <not true> (conditional)
    conditional: Optional[str] = None      # framework RequiresReplaceIf...
    max_items: Optional[int] = None
    computed: bool = False
    optional: bool = False
    required: bool = False
    children: dict[str, 'Attr'] = field(default_factory=dict)
    unresolved: Optional[str] = None

    @property
    def is_list(self) -> bool:
        return self.kind in ('TypeList', 'TypeSet', 'ListNestedBlock', 'SetNestedBlock',
                             'ListNestedAttribute', 'SetNestedAttribute', 'ListAttribute', 'SetAttribute')

    @property
    def flattened(self) -> bool:
        return self.kind in ('TypeList', 'TypeSet') and self.max_items == 1


class Resolver:
    """Resolves identifiers against a package (and the `names` constants)."""

    def __init__(self, pkg: Package, names: dict[str, str], warnings: list[str]):
        self.pkg = pkg
        self.names = names
        self.warnings = warnings

    def key(self, expr: str) -> Optional[str]:
        expr = expr.strip()
        s = go_string(expr)
        if s is not None:
            return s
        m = re.fullmatch(r'names\.(\w+)', expr)
        if m:
            v = self.names.get(m.group(1))
            if v is None and m.group(1).startswith('Attr'):
                v = guess_attr_literal(m.group(1))
                self.warnings.append(f"names.{m.group(1)} not defined in the tree; assumed {v!r}")
            return v
        if re.fullmatch(r'\w+', expr):
            return self.pkg.consts.get(expr)
        m = re.fullmatch(r'(\w+)\.(\w+)', expr)
        if m:
            return self.names.get(m.group(2))
        return None

    def returned_expr(self, f: Func) -> Optional[tuple[GoText, int, int]]:
        """The expression of the last top-level `return` in f (enough for schema helpers)."""
        t = f.text
        a, b = f.body
        code = t.code
        best = None
        for m in re.finditer(r'\breturn\b', code[a:b]):
            s = a + m.end()
            e = Package._expr_end(t, s)
            best = (t, s, e)
        return best


# --------------------------------------------------------------------------------------------
# SDKv2 schema parsing

def parse_sdk_schema_map(t: GoText, s: int, e: int, r: Resolver, depth: int = 0) -> dict[str, Attr]:
    """Parse `map[string]*schema.Schema{...}` (or a bare `{...}` map body) at code[s:e]."""
    code = t.code
    i = code.find('{', s, e)
    if i < 0:
        return {}
    end = t.match(i)
    out: dict[str, Attr] = {}
    for a, b in t.split_top(i + 1, end - 1):
        c = t.top_colon(a, b)
        if c < 0:
            continue
        name = r.key(code[a:c])
        if name is None:
            r.warnings.append(f"unresolved schema key {code[a:c].strip()!r} in {os.path.basename(t_path(t, r))}")
            continue
        out[name] = parse_sdk_schema_value(t, c + 1, b, name, r, depth)
    return out


def t_path(t: GoText, r: Resolver) -> str:
    for p, tt in r.pkg.texts.items():
        if tt is t:
            return p
    return '?'


def strip_span(t: GoText, s: int, e: int) -> tuple[int, int]:
    while s < e and t.code[s].isspace():
        s += 1
    while e > s and t.code[e - 1].isspace():
        e -= 1
    return s, e


def parse_sdk_schema_value(t: GoText, s: int, e: int, name: str, r: Resolver, depth: int) -> Attr:
    s, e = strip_span(t, s, e)
    code = t.code
    expr = code[s:e]
    attr = Attr(name)
    if depth > 12:
        attr.unresolved = 'depth'
        return attr
    # {...} / &schema.Schema{...}
    m = re.match(r'(?:&?\s*schema\.Schema\s*)?\{', expr)
    if m and expr.startswith(('{', '&', 'schema.Schema')):
        i = s + m.end() - 1
        fill_sdk_schema_literal(t, i, attr, r, depth)
        return attr
    # func() *schema.Schema { ... }()
    if expr.startswith('func'):
        i = code.find('{', s, e)
        # skip the signature: the body brace is the first '{' after the result type
        body_end = t.match(i)
        inner = code[i + 1:body_end - 1]
        for rm in re.finditer(r'\breturn\b', inner):
            rs = i + 1 + rm.end()
            re_ = Package._expr_end(t, rs)
            sub = parse_sdk_schema_value(t, rs, re_, name, r, depth + 1)
            _merge(attr, sub)
        return attr
    # identifier / call of a same-package helper
    m = re.fullmatch(r'(\w+)(?:\((.*)\))?', expr, re.S)
    if m and m.group(2) is None and ident_local_assignment(t, s, m.group(1)):
        ls, le = ident_local_assignment(t, s, m.group(1))
        sub = parse_sdk_schema_value(t, ls, le, name, r, depth + 1)
        _merge(attr, sub)
        return attr
    if m:
        ident = m.group(1)
        if m.group(2) is not None:
            f = r.pkg.func(ident)
            if f:
                ret = r.returned_expr(f)
                if ret:
                    sub = parse_sdk_schema_value(ret[0], ret[1], ret[2], name, r, depth + 1)
                    _merge(attr, sub)
                    # `s := &schema.Schema{...}; s.ForceNew = true` style helpers
                    body = f.text.code[f.body[0]:f.body[1]]
                    if re.search(r'\.\s*ForceNew\s*=\s*true', body):
                        attr.force_new = True
                    return attr
        elif ident in r.pkg.vars:
            vt, vs, ve = r.pkg.vars[ident]
            sub = parse_sdk_schema_value(vt, vs, ve, name, r, depth + 1)
            _merge(attr, sub)
            return attr
    # helpers in other packages (tftags.TagsSchema(), verify..., sdkv2.*)
    m = re.fullmatch(r'(\w+)\.(\w+)\((.*)\)', expr, re.S)
    if m:
        fn = m.group(2)
        if 'ForceNew' in fn:
            attr.force_new = True
        attr.kind = 'external:' + m.group(1) + '.' + fn
        return attr
    attr.unresolved = expr[:80]
    r.warnings.append(f"unresolved schema value for {name!r}: {expr[:80]!r}")
    return attr


def ident_local_assignment(t: GoText, at: int, ident: str) -> Optional[tuple[int, int]]:
    """`ident := <expr>` (or `ident = <expr>`) earlier in the same function as offset `at`."""
    code = t.code
    fstart = code.rfind('\nfunc ', 0, at)
    if fstart < 0:
        return None
    best = None
    for m in re.finditer(r'\b%s\s*:?=\s*(?!=)' % re.escape(ident), code[fstart:at]):
        s = fstart + m.end()
        best = (s, Package._expr_end(t, s))
    return best


def _merge(dst: Attr, src: Attr) -> None:
    for f in ('kind', 'max_items', 'force_new_expr', 'conditional', 'unresolved'):
        if getattr(src, f) and not getattr(dst, f):
            setattr(dst, f, getattr(src, f))
    dst.force_new = dst.force_new or src.force_new
    dst.computed = dst.computed or src.computed
    dst.optional = dst.optional or src.optional
    dst.required = dst.required or src.required
    for k, v in src.children.items():
        dst.children.setdefault(k, v)


def fill_sdk_schema_literal(t: GoText, i: int, attr: Attr, r: Resolver, depth: int) -> None:
    code = t.code
    end = t.match(i)
    for a, b in t.split_top(i + 1, end - 1):
        c = t.top_colon(a, b)
        if c < 0:
            continue
        fname = code[a:c].strip()
        vs, ve = strip_span(t, c + 1, b)
        val = code[vs:ve]
        if fname == 'Type':
            attr.kind = val.split('.')[-1]
        elif fname == 'ForceNew':
            if val == 'true':
                attr.force_new = True
            elif val != 'false':
                attr.force_new_expr = val
        elif fname == 'MaxItems':
            try:
                attr.max_items = int(val)
            except ValueError:
                pass
        elif fname in ('Computed', 'Optional', 'Required'):
            setattr(attr, fname.lower(), val == 'true')
        elif fname == 'Elem':
            parse_sdk_elem(t, vs, ve, attr, r, depth)


def parse_sdk_elem(t: GoText, s: int, e: int, attr: Attr, r: Resolver, depth: int) -> None:
    code = t.code
    expr = code[s:e]
    m = re.match(r'&?\s*schema\.Resource\s*\{', expr)
    if m:
        parse_sdk_resource_literal(t, s + m.end() - 1, attr, r, depth)
        return
    m = re.match(r'&?\s*schema\.Schema\s*\{', expr)
    if m:
        return  # primitive element
    if expr.startswith('func'):
        i = code.find('{', s, e)
        body_end = t.match(i)
        for rm in re.finditer(r'\breturn\b', code[i + 1:body_end - 1]):
            rs = i + 1 + rm.end()
            parse_sdk_elem(t, rs, Package._expr_end(t, rs), attr, r, depth + 1)
        return
    m = re.fullmatch(r'(\w+)(?:\((.*)\))?', expr.strip(), re.S)
    if m:
        ident = m.group(1)
        if m.group(2) is not None and r.pkg.func(ident):
            f = r.pkg.func(ident)
            ret = r.returned_expr(f)
            if ret:
                parse_sdk_elem(ret[0], *strip_span(ret[0], ret[1], ret[2]), attr, r, depth + 1)
                return
        if ident in r.pkg.vars:
            vt, vs, ve = r.pkg.vars[ident]
            parse_sdk_elem(vt, *strip_span(vt, vs, ve), attr, r, depth + 1)
            return
    if re.match(r'\w+\.\w+\(', expr):
        r.warnings.append(f"Elem of {attr.name!r} is an external helper {expr[:60]!r}; nested attributes not read")
        attr.unresolved = expr[:80]
        return
    r.warnings.append(f"unresolved Elem for {attr.name!r}: {expr[:80]!r}")
    attr.unresolved = expr[:80]


def parse_sdk_resource_literal(t: GoText, i: int, attr: Attr, r: Resolver, depth: int) -> None:
    """`&schema.Resource{ Schema: ... }` (nested block) -> attr.children."""
    code = t.code
    end = t.match(i)
    for a, b in t.split_top(i + 1, end - 1):
        c = t.top_colon(a, b)
        if c < 0:
            continue
        fname = code[a:c].strip()
        if fname in ('Schema', 'SchemaFunc'):
            vs, ve = strip_span(t, c + 1, b)
            attr.children.update(schema_map_from_expr(t, vs, ve, r, depth + 1))


def schema_map_from_expr(t: GoText, s: int, e: int, r: Resolver, depth: int) -> dict[str, Attr]:
    """The schema map of `Schema:`/`SchemaFunc:` values: a map literal, a func literal, or a helper."""
    code = t.code
    expr = code[s:e].strip()
    if expr.startswith('map['):
        return parse_sdk_schema_map(t, s, e, r, depth)
    if expr.startswith('func'):
        i = code.find('{', s + expr.find(')') + 1 if ')' in expr else s, e)
        body_end = t.match(i)
        return _schema_map_in_body(t, i + 1, body_end - 1, r, depth)
    m = re.fullmatch(r'(\w+)(?:\(\s*\))?', expr)
    if m:
        f = r.pkg.func(m.group(1))
        if f:
            return _schema_map_in_body(f.text, f.body[0], f.body[1], r, depth)
        if m.group(1) in r.pkg.vars:
            vt, vs, ve = r.pkg.vars[m.group(1)]
            return schema_map_from_expr(vt, vs, ve, r, depth)
    r.warnings.append(f"schema map expression not understood: {expr[:80]!r}")
    return {}


def _schema_map_in_body(t: GoText, a: int, b: int, r: Resolver, depth: int) -> dict[str, Attr]:
    code = t.code
    m = re.search(r'map\[string\]\*schema\.Schema\s*\{', code[a:b])
    if not m:
        # `return someOtherHelper()`
        rm = re.search(r'\breturn\s+(\w+)\(\s*\)', code[a:b])
        if rm and r.pkg.func(rm.group(1)):
            f = r.pkg.func(rm.group(1))
            return _schema_map_in_body(f.text, f.body[0], f.body[1], r, depth + 1)
        return {}
    out = parse_sdk_schema_map(t, a + m.start(), b, r, depth)
    # assignments after the literal: s["x"] = ..., s["x"].ForceNew = true
    for am in re.finditer(r'\b\w+\[("[^"]+"|names\.\w+)\]\.ForceNew\s*=\s*true', code[a:b]):
        k = r.key(am.group(1))
        if k and k in out:
            out[k].force_new = True
    return out


# --------------------------------------------------------------------------------------------
# CustomizeDiff

FORCENEW_CALL_RE = re.compile(
    r'(?:\b(\w+)\.ForceNew\(\s*([^()]*?)\s*\)'
    r'|customdiff\.(ForceNewIf|ForceNewIfChange)\(\s*([^,()]+?)\s*,)')


def enclosing_conditions(code: str, at: int, max_lines: int = 40) -> str:
    """The `if`/`case`/`switch` headers enclosing offset `at` (by indentation), outermost first."""
    line_start = code.rfind('\n', 0, at) + 1
    indent = len(code[line_start:at]) - len(code[line_start:at].lstrip('\t '))
    heads = []
    pos = line_start
    for _ in range(max_lines):
        if pos <= 0:
            break
        prev_start = code.rfind('\n', 0, pos - 1) + 1
        line = code[prev_start:pos - 1]
        pos = prev_start
        stripped = line.strip()
        if not stripped:
            continue
        ind = len(line) - len(line.lstrip('\t '))
        if ind < indent:
            if re.match(r'(?:\}\s*else\s+)?if\b|case\b|switch\b|for\b|default\b', stripped):
                heads.append(' '.join(stripped.rstrip('{:').split()))
                indent = ind
            elif stripped.startswith('func') or stripped.startswith('return') or re.match(r'\w+\(', stripped):
                break
            else:
                indent = ind
    return ' / '.join(reversed(heads))


def customize_diff_rules(t: GoText, s: int, e: int, r: Resolver) -> list[dict]:
    """ForceNew calls reachable from a CustomizeDiff expression (same package, two calls deep)."""
    rules: list[dict] = []
    seen: set[str] = set()

    def scan(tt: GoText, a: int, b: int, origin: str, level: int) -> None:
        code = tt.code[a:b]
        for m in FORCENEW_CALL_RE.finditer(code):
            if m.group(1):
                arg, how = m.group(2), f'{m.group(1)}.ForceNew in {origin}'
            else:
                arg, how = m.group(4), f'customdiff.{m.group(3)} in {origin}'
            key = r.key(arg)
            rule = {'tf_path': key, 'how': how}
            if key is None:
                rule['expr'] = arg.strip()
            if m.group(1):
                ctx = enclosing_conditions(tt.code, a + m.start())
                if ctx:
                    rule['condition'] = ctx
            # the condition text of ForceNewIf/ForceNewIfChange: the func literal's body (short)
            if m.group(3):
                cond_start = a + m.end()
                cond_end = Package._expr_end(tt, cond_start)
                rule['condition'] = ' '.join(tt.code[cond_start:cond_end].split())[:700]
            rules.append(rule)
        if level >= 2:
            return
        for m in re.finditer(r'\b([a-zA-Z_]\w*)\b', code):
            name = m.group(1)
            if name in seen:
                continue
            f = r.pkg.func(name)
            if f is None:
                continue
            seen.add(name)
            scan(f.text, f.body[0], f.body[1], name, level + 1)

    scan(t, s, e, 'CustomizeDiff', 0)
    return rules


# --------------------------------------------------------------------------------------------
# Framework schema parsing

def parse_fw_attributes(t: GoText, s: int, e: int, r: Resolver, depth: int = 0) -> dict[str, Attr]:
    """`map[string]schema.Attribute{...}` or `map[string]schema.Block{...}`."""
    code = t.code
    i = code.find('{', s, e)
    if i < 0:
        return {}
    end = t.match(i)
    out = {}
    for a, b in t.split_top(i + 1, end - 1):
        c = t.top_colon(a, b)
        if c < 0:
            continue
        name = r.key(code[a:c])
        if name is None:
            r.warnings.append(f"unresolved framework key {code[a:c].strip()!r}")
            continue
        out[name] = parse_fw_value(t, c + 1, b, name, r, depth)
    return out


def parse_fw_value(t: GoText, s: int, e: int, name: str, r: Resolver, depth: int) -> Attr:
    s, e = strip_span(t, s, e)
    code = t.code
    expr = code[s:e]
    attr = Attr(name)
    m = re.match(r'(?:\w+\.)?(\w+(?:Attribute|Block))\s*\{', expr)
    if m:
        attr.kind = m.group(1)
        i = s + m.end() - 1
        fill_fw_literal(t, i, attr, r, depth)
        return attr
    m = re.fullmatch(r'(\w+)\((.*)\)', expr, re.S)
    if m and r.pkg.func(m.group(1)):
        f = r.pkg.func(m.group(1))
        ret = r.returned_expr(f)
        if ret:
            return parse_fw_value(ret[0], ret[1], ret[2], name, r, depth + 1)
    attr.kind = 'external:' + expr[:60]
    if 'RequiresReplace' in expr:
        attr.force_new = True
    return attr


def fill_fw_literal(t: GoText, i: int, attr: Attr, r: Resolver, depth: int) -> None:
    code = t.code
    end = t.match(i)
    for a, b in t.split_top(i + 1, end - 1):
        c = t.top_colon(a, b)
        if c < 0:
            continue
        fname = code[a:c].strip()
        vs, ve = strip_span(t, c + 1, b)
        val = code[vs:ve]
        if fname == 'PlanModifiers':
            if re.search(r'\bRequiresReplace\(\s*\)', val):
                attr.force_new = True
            elif 'RequiresReplaceIfConfigured' in val:
                attr.conditional = 'RequiresReplaceIfConfigured (replaced when a configured value changes)'
            elif 'RequiresReplaceIf' in val or re.search(r'RequiresReplace', val):
                attr.conditional = describe_modifier(t, vs, ve, r)
        elif fname in ('Computed', 'Optional', 'Required'):
            setattr(attr, fname.lower(), val == 'true')
        elif fname in ('Attributes', 'Blocks'):
            attr.children.update(parse_fw_attributes(t, vs, ve, r, depth + 1))
        elif fname == 'NestedObject':
            m = re.match(r'(?:\w+\.)?\w+\s*\{', val)
            if m:
                tmp = Attr(attr.name)
                fill_fw_literal(t, vs + m.end() - 1, tmp, r, depth + 1)
                attr.children.update(tmp.children)
        elif fname == 'Validators' and re.search(r'SizeAtMost\(\s*1\s*\)', val):
            attr.max_items = 1


MODIFIER_DESCRIPTIONS: dict[str, str] = {}   # filled by a caller that can see helper packages


def describe_modifier(t: GoText, s: int, e: int, r: Resolver) -> str:
    """A plan modifier list with a conditional RequiresReplace..., as `modifier: description`."""
    val = t.src[s:e]
    m = re.search(r'(\w+\.)?(RequiresReplace\w*)\(', val)
    name = (m.group(1) or '') + m.group(2) if m else ' '.join(val.split())[:120]
    # RequiresReplaceIf(func, "description", "markdown")
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', val)
    if strings:
        return f'{name}: {bytes(strings[0], "utf-8").decode("unicode_escape")}'
    short = m.group(2) if m else None
    if short and short in MODIFIER_DESCRIPTIONS:
        return f'{name}: {MODIFIER_DESCRIPTIONS[short]}'
    if short == 'RequiresReplaceIfConfigured':
        return f'{name}: replaced when a configured value changes'
    return name


def index_modifier_descriptions(root: str) -> None:
    """Description() strings of custom plan modifiers defined under root (constructor name -> text)."""
    for dirpath, _ds, fs in os.walk(root):
        gofiles = [f for f in fs if f.endswith('.go') and not f.endswith('_test.go')]
        if not gofiles:
            continue
        text = ''
        for fn in gofiles:
            with open(os.path.join(dirpath, fn), encoding='utf-8') as fh:
                text += '\n' + fh.read()
        if 'planmodifier' not in text:
            continue
        for m in re.finditer(r'^func\s+(RequiresReplace\w*)\([^)]*\)[^{]*\{\s*return\s+&?(\w+)\s*\{', text, re.M):
            dm = re.search(r'func\s+\(\s*\w*\s*\*?%s\s*\)\s+Description\([^)]*\)\s*string\s*\{\s*return\s+"((?:[^"\\]|\\.)*)"' % m.group(2), text)
            if dm:
                MODIFIER_DESCRIPTIONS[m.group(1)] = dm.group(1)


def fw_schema_from_method(f: Func, r: Resolver) -> Optional[dict[str, Attr]]:
    """`resp.Schema = schema.Schema{...}` (or `= helper()`) in a Schema method."""
    t = f.text
    code = t.code
    a, b = f.body
    m = re.search(r'\.Schema\s*=\s*', code[a:b])
    if not m:
        return None
    s = a + m.end()
    e = Package._expr_end(t, s)
    return fw_schema_literal(t, s, e, r)


def fw_schema_literal(t: GoText, s: int, e: int, r: Resolver) -> Optional[dict[str, Attr]]:
    code = t.code
    expr = code[s:e].strip()
    m = re.match(r'(?:\w+\.)?Schema\s*\{', expr)
    if m:
        s0 = s + (len(code[s:e]) - len(code[s:e].lstrip()))
        i = s0 + m.end() - 1
        top = Attr('')
        fill_fw_literal(t, i, top, r, 0)
        return top.children
    m = re.fullmatch(r'(\w+)\((.*)\)', expr, re.S)
    if m and r.pkg.func(m.group(1)):
        f = r.pkg.func(m.group(1))
        ret = r.returned_expr(f)
        if ret:
            return fw_schema_literal(ret[0], ret[1], ret[2], r)
    r.warnings.append(f"framework schema expression not understood: {expr[:80]!r}")
    return None


def fw_find_schema(pkg: Package, type_name: str, r: Resolver, seen=None) -> tuple[Optional[dict[str, Attr]], Optional[Func]]:
    seen = seen or set()
    if type_name in seen:
        return None, None
    seen.add(type_name)
    f = pkg.methods.get((type_name, 'Schema'))
    if f:
        return fw_schema_from_method(f, r), f
    st = pkg.structs.get(type_name)
    if st:
        t, a, b = st
        for line in t.code[a:b].splitlines():
            m = re.fullmatch(r'\s*\*?(\w+)\s*', line)
            if m:
                res = fw_find_schema(pkg, m.group(1), r, seen)
                if res[0] is not None:
                    return res
    return None, None


def fw_modify_plan_rules(pkg: Package, type_name: str, r: Resolver) -> list[dict]:
    rules = []
    names_to_check = [type_name]
    st = pkg.structs.get(type_name)
    if st:
        t, a, b = st
        names_to_check += [m.group(1) for m in re.finditer(r'^\s*\*?(\w+)\s*$', t.code[a:b], re.M)]
    for tn in names_to_check:
        f = pkg.methods.get((tn, 'ModifyPlan'))
        if not f:
            continue
        t = f.text
        body_start = f.body[0]
        body = t.code[f.body[0]:f.body[1]]
        for m in re.finditer(r'RequiresReplace\s*=\s*', body):
            s = body_start + m.end()
            e = Package._expr_end(t, s)
            expr = t.code[s:e]
            cond = enclosing_conditions(t.code, body_start + m.start())
            how = f'ModifyPlan of {tn} sets RequiresReplace'
            for pm in re.finditer(r'path\.Root\(([^()]*)\)', expr):
                key = r.key(pm.group(1))
                if key is not None:
                    rules.append({'tf_path': key, 'how': how, 'condition': cond})
                    continue
                # a variable: which names can it hold? follow `x := y.method()` to the method's string returns

                cands = []
                calls = re.findall(r'\.(\w+)\(\)', cond) or re.findall(r'\.(\w+)\(\)', body)
                for call in calls:
                    for (_recv, mname), mf in pkg.methods.items():
                        if mname == call:
                            cands += re.findall(r'return\s+("[^"]+"|names\.\w+)', mf.text.code[mf.body[0]:mf.body[1]])
                for c in dict.fromkeys(cands):
                    key = r.key(c)
                    if key:
                        rules.append({'tf_path': key, 'how': how, 'condition': cond,
                                      'expr': expr.strip()})
    return rules


# --------------------------------------------------------------------------------------------
# Locating resources

SDK_ANN = re.compile(r'^//\s*@SDKResource\("([^"]+)"', re.M)
FW_ANN = re.compile(r'^//\s*@FrameworkResource\("([^"]+)"', re.M)


def find_annotated(service_root: str, wanted: set[str]) -> dict[str, tuple[str, str, str]]:
    """tf type -> (kind, package dir, file) for `@SDKResource`/`@FrameworkResource` annotations."""
    found = {}
    for dirpath, _dirs, files in os.walk(service_root):
        for fn in files:
            if not fn.endswith('.go') or fn.endswith('_test.go'):
                continue
            p = os.path.join(dirpath, fn)
            with open(p, encoding='utf-8') as fh:
                src = fh.read()
            if '@SDKResource' not in src and '@FrameworkResource' not in src:
                continue
            for rx, kind in ((SDK_ANN, 'sdk'), (FW_ANN, 'framework')):
                for m in rx.finditer(src):
                    if m.group(1) in wanted:
                        found[m.group(1)] = (kind, dirpath, p)
    return found


def annotated_func(pkg: Package, path: str, tf_type: str) -> Optional[Func]:
    t = pkg.texts[path]
    src = t.src
    m = re.search(r'^//\s*@(?:SDK|Framework)Resource\("%s"' % re.escape(tf_type), src, re.M)
    if not m:
        return None
    fm = FUNC_RE.search(t.code, m.end())
    if not fm:
        return None
    for f in pkg.funcs.get(fm.group(3), []):
        if f.path == path:
            return f
    return None


def sdk_resource_schema(f: Func, r: Resolver) -> tuple[dict[str, Attr], list[dict]]:
    """Schema map and CustomizeDiff rules of an SDKv2 resource constructor."""
    t = f.text
    code = t.code
    a, b = f.body
    lit = re.search(r'&schema\.Resource\s*\{', code[a:b])
    if not lit:
        # constructor may return another constructor's resource, e.g. `r := resourceX(); ...`
        rm = re.search(r'\b(\w+)\(\s*\)', code[a:b])
        if rm and r.pkg.func(rm.group(1)):
            return sdk_resource_schema(r.pkg.func(rm.group(1)), r)
        raise ValueError(f"no &schema.Resource literal in {f.name}")
    i = a + lit.end() - 1
    end = t.match(i)
    attrs: dict[str, Attr] = {}
    rules: list[dict] = []
    for s, e in t.split_top(i + 1, end - 1):
        c = t.top_colon(s, e)
        if c < 0:
            continue
        fname = code[s:c].strip()
        vs, ve = strip_span(t, c + 1, e)
        if fname in ('Schema', 'SchemaFunc'):
            attrs.update(schema_map_from_expr(t, vs, ve, r, 0))
        elif fname == 'CustomizeDiff':
            rules.extend(customize_diff_rules(t, vs, ve, r))
    # fields assigned after the literal: `r.Schema["x"].ForceNew = true`
    for am in re.finditer(r'\.Schema\[("[^"]+"|names\.\w+)\]\.ForceNew\s*=\s*true', code[a:b]):
        k = r.key(am.group(1))
        if k in attrs:
            attrs[k].force_new = True
    return attrs, rules


def fw_type_of_constructor(f: Func) -> Optional[str]:
    body = f.text.code[f.body[0]:f.body[1]]
    m = re.search(r'&(\w+)\s*\{', body)
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------
# Pulumi names (with the SDK when given)

def camel(s: str) -> str:
    parts = s.split('_')
    return parts[0] + ''.join(p[:1].upper() + p[1:] for p in parts[1:])


def plural_candidates(name: str) -> list[str]:
    c = camel(name)
    out = [c]
    if c.endswith('s'):
        return out
    if c.endswith('y') and not c.endswith(('ay', 'ey', 'oy', 'uy')):
        out.append(c[:-1] + 'ies')
    elif c.endswith(('ss', 'x', 'ch', 'sh')):
        out.append(c + 'es')
    out.append(c + 's')
    return out


def snake(s: str) -> str:
    return re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', s).lower()


class SdkTypes:
    """Input property names (wire names) and nested input classes from the pulumi_aws Python SDK."""

    GETTER_RE = re.compile(r'@pulumi\.getter(?:\(name="([^"]+)"\))?[ \t]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*def (\w+)\(self\)\s*->\s*([^\n]+?):[ \t]*\n')

    def __init__(self, root: str):
        self.root = root
        self.cache: dict[str, str] = {}

    def _module_text(self, module: str) -> str:
        if module in self.cache:
            return self.cache[module]
        d = os.path.join(self.root, module)
        text = ''
        if os.path.isdir(d):
            for fn in sorted(os.listdir(d)):
                if fn.endswith('.py'):
                    with open(os.path.join(d, fn), encoding='utf-8') as fh:
                        text += '\n' + fh.read()
        self.cache[module] = text
        return text

    def class_props(self, module: str, cls: str) -> Optional[dict[str, Optional[str]]]:
        """wire name -> nested input class name (or None) for `class cls:` in the module."""
        text = self._module_text(module)
        m = re.search(r'^class %s\b[^\n]*:\s*\n' % re.escape(cls), text, re.M)
        if not m:
            return None
        rest = text[m.end():]
        n = re.search(r'^(?:class |@pulumi\.input_type|@pulumi\.output_type|if not MYPY)', rest, re.M)
        block = rest[:n.start()] if n else rest
        props = {}
        for g in self.GETTER_RE.finditer(block):
            wire = g.group(1) or g.group(2)
            typ = g.group(3)
            cm = re.search(r"'(\w+Args)'", typ)
            props[wire] = cm.group(1) if cm else None
        return props


def pulumi_paths(token: str, attrs: dict[str, Attr], sdk: Optional[SdkTypes], problems: list[str]):
    """Map TF attribute tree -> {tf dotted path: pulumi dotted path}, plus SDK inputs (top level)."""
    module = token.split(':')[1].split('/')[0]
    cls = token.split(':')[2] + 'Args'
    top_props = sdk.class_props(module, cls) if sdk else None
    if sdk and top_props is None:
        problems.append(f"{token}: SDK class {module}.{cls} not found")
    mapping: dict[str, str] = {}
    not_in_sdk: set[str] = set()
    sdk_only: list[str] = []

    def walk(level: dict[str, Attr], props: Optional[dict], tf_prefix: str, pu_prefix: str):
        seen_wires = set()
        for name, a in level.items():
            cands = plural_candidates(name) if a.is_list and not a.flattened else [camel(name)]
            if a.kind.startswith('external:') and name not in ('tags', 'tags_all'):
                cands = plural_candidates(name)
            wire = None
            if props is not None:
                for c in cands + plural_candidates(name):
                    if c in props:
                        wire = c
                        break
            if wire is None:
                wire = cands[-1] if (a.is_list and not a.flattened and len(cands) > 1) else cands[0]
                if props is not None:
                    not_in_sdk.add(tf_prefix + name)
                if props is not None and (a.force_new or a.force_new_expr or a.conditional or a.children):
                    if not (a.computed and not a.optional and not a.required):
                        problems.append(f"{token}: TF attribute {tf_prefix + name} has no SDK input (guessed {pu_prefix + wire})")
            tfp, pup = tf_prefix + name, pu_prefix + wire
            mapping[tfp] = pup
            seen_wires.add(wire)
            if a.children:
                child_props = None
                if props is not None and props.get(wire):
                    child_props = sdk.class_props(module, props[wire])
                walk(a.children, child_props, tfp + '.', pup + '.')
        if props is not None:
            sdk_only.extend(pu_prefix + w for w in props if w not in seen_wires)

    walk(attrs, top_props, '', '')
    return mapping, top_props, not_in_sdk, sdk_only


# --------------------------------------------------------------------------------------------

def collect(attrs: dict[str, Attr], prefix: str = ''):
    """(forceNew tf paths, conditional entries) from an attribute tree."""
    fn, cond = [], []
    for name, a in sorted(attrs.items()):
        p = prefix + name
        if a.force_new:
            fn.append(p)
        elif a.force_new_expr:
            cond.append({'tf_path': p, 'how': f'ForceNew: {a.force_new_expr}'})
        elif a.conditional:
            cond.append({'tf_path': p, 'how': a.conditional})
        if a.children:
            f2, c2 = collect(a.children, p + '.')
            fn += f2
            cond += c2
    return fn, cond


def condense_condition(text: str) -> str:
    """`func(...) bool { <body> }` -> `<body>`; whitespace collapsed."""
    text = ' '.join(text.split())
    m = re.match(r'func\s*\([^)]*\)(?:\s*\w+)?\s*\{\s*(.*?)\s*(?:\}\s*\)?\s*,?)?$', text)
    if m:
        text = m.group(1).strip()
    return text[:600]


def normalize_tf_path(p: str) -> str:
    return '.'.join(x for x in p.split('.') if not x.isdigit() and x != '#' and x != '%')


def load_names(root: str) -> dict[str, str]:
    """`names.AttrX` constants: names/*.go (`AttrX = "x"`) and names/attr_constants.csv (`x,X`)."""
    out = {}
    d = os.path.join(root, 'names')
    if not os.path.isdir(d):
        return out
    for fn in sorted(os.listdir(d)):
        p = os.path.join(d, fn)
        if fn.endswith('.go') and not fn.endswith('_test.go'):
            with open(p, encoding='utf-8') as fh:
                for m in re.finditer(r'^\s*(Attr\w+)\s*=\s*"([^"]*)"', fh.read(), re.M):
                    out[m.group(1)] = m.group(2)
        elif fn == 'attr_constants.csv':
            with open(p, encoding='utf-8') as fh:
                for line in fh:
                    parts = line.strip().split(',')
                    if len(parts) >= 2 and parts[0] and parts[1] and parts[0] != 'Literal':
                        out.setdefault('Attr' + parts[1], parts[0])
    return out


ACRONYM_TOKEN = re.compile(r'IPv[46]|[A-Z]\d+(?=[A-Z]|$)|[A-Z]+s(?=[A-Z]|$)|[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z][a-z0-9]*|\d+')


def guess_attr_literal(const: str) -> str:
    """`AttrVPCSecurityGroupIDs` -> `vpc_security_group_ids` (used only when no definition is found)."""
    return '_'.join(t.lower() for t in ACRONYM_TOKEN.findall(const[len('Attr'):]))


def overlay_tree(base: str, overlays: list[str], rel_dirs: list[str]) -> dict[str, str]:
    """rel dir -> effective directory listing is handled by returning a map of rel file -> abs file."""
    files = {}
    for root in [base] + overlays:
        for rd in rel_dirs:
            d = os.path.join(root, rd)
            if not os.path.isdir(d):
                continue
            for dirpath, _ds, fs in os.walk(d):
                for fn in fs:
                    ap = os.path.join(dirpath, fn)
                    files[os.path.relpath(ap, root)] = ap
    return files


class Tree:
    """A provider tree, optionally with overlay directories (later ones win per relative path)."""

    def __init__(self, base: str, overlays: list[str]):
        self.base = base
        self.overlays = overlays
        self._pkgs: dict[str, Package] = {}

    def files_under(self, rel: str) -> dict[str, str]:
        out = {}
        for root in [self.base] + self.overlays:
            d = os.path.join(root, rel)
            if not os.path.isdir(d):
                continue
            for dirpath, _ds, fs in os.walk(d):
                for fn in fs:
                    if fn.endswith('.go') and not fn.endswith('_test.go'):
                        ap = os.path.join(dirpath, fn)
                        out[os.path.relpath(ap, root)] = ap
        return out

    def package(self, rel_dir: str) -> Package:
        if rel_dir not in self._pkgs:
            files = {}
            for rel, ap in self.files_under(rel_dir).items():
                if os.path.dirname(rel) == rel_dir.rstrip('/'):
                    with open(ap, encoding='utf-8') as fh:
                        files[ap] = fh.read()
            self._pkgs[rel_dir] = Package(rel_dir, files)
        return self._pkgs[rel_dir]


FW_ANN_NAMED = re.compile(r'^//\s*@FrameworkResource\((?!")', re.M)


def locate(tree: Tree, rel_root: str, wanted: set[str]) -> dict[str, tuple[str, str, str, Optional[str]]]:
    """tf type -> (kind, package rel dir, file, constructor func name or None)."""
    found = {}
    unnamed = []   # framework constructors whose type name is set in Metadata
    for rel, ap in tree.files_under(rel_root).items():
        with open(ap, encoding='utf-8') as fh:
            src = fh.read()
        if '@SDKResource' not in src and '@FrameworkResource' not in src:
            continue
        for rx, kind in ((SDK_ANN, 'sdk'), (FW_ANN, 'framework')):
            for m in rx.finditer(src):
                if m.group(1) in wanted:
                    found[m.group(1)] = (kind, os.path.dirname(rel), ap, None)
        for m in FW_ANN_NAMED.finditer(src):
            fm = re.compile(r'^func\s+(\w+)', re.M).search(src, m.end())
            if fm:
                unnamed.append((os.path.dirname(rel), ap, fm.group(1)))
    for rel_dir, ap, fname in unnamed:
        pkg = tree.package(rel_dir)
        f = next((x for x in pkg.funcs.get(fname, []) if x.path == ap), None)
        tn = fw_type_of_constructor(f) if f else None
        md = pkg.methods.get((tn, 'Metadata')) if tn else None
        if not md:
            continue
        body = md.text.src[md.body[0]:md.body[1]]
        mm = re.search(r'TypeName\s*=\s*"([^"]+)"', body)
        if mm and mm.group(1) in wanted and mm.group(1) not in found:
            found[mm.group(1)] = ('framework', rel_dir, ap, fname)
    return found


def region_mechanism(tree: Tree) -> Optional[str]:
    for rel, ap in tree.files_under('internal/provider').items():
        with open(ap, encoding='utf-8') as fh:
            src = fh.read()
        if re.search(r'func\s+forceNewIfRegionChanges\b', src):
            return rel
    return None


def analyse_aws(tree: Tree, sdk: Optional[SdkTypes], warnings: list[str], problems: list[str]) -> dict:
    names = load_names(tree.base)
    for ov in tree.overlays:
        names.update(load_names(ov))
    found = locate(tree, 'internal/service', set(AWS_TYPES.values()))
    region_rel = region_mechanism(tree)
    out = {}
    for token, tf_type in AWS_TYPES.items():
        entry = {'forceNew': [], 'conditional': [], 'terraform': tf_type}
        if tf_type not in found:
            problems.append(f"{token}: {tf_type} not found in the tree")
            entry['error'] = 'resource not found in source tree'
            out[token] = entry
            continue
        kind, rel_dir, path, ctor = found[tf_type]
        pkg = tree.package(rel_dir)
        r = Resolver(pkg, names, warnings)
        if ctor:
            f = next((x for x in pkg.funcs.get(ctor, []) if x.path == path), None)
        else:
            f = annotated_func(pkg, path, tf_type)
        entry['source'] = os.path.join(rel_dir, os.path.basename(path))
        for ov in tree.overlays:
            if path.startswith(ov + os.sep):
                with open(path, encoding='utf-8') as fh:
                    head = fh.read(600)
                cm = re.search(r'at commit ([0-9a-f]{40})', head)
                entry['sourceTree'] = 'overlay ' + os.path.basename(ov) + (f' (commit {cm.group(1)})' if cm else '')
                break
        else:
            entry['sourceTree'] = 'base'
        rules: list[dict] = []
        if kind == 'sdk':
            attrs, rules = sdk_resource_schema(f, r)
        else:
            tn = fw_type_of_constructor(f)
            attrs, _m = fw_find_schema(pkg, tn, r) if tn else (None, None)
            if attrs is None:
                problems.append(f"{token}: framework schema of {tn} not found")
                attrs = {}
            rules = fw_modify_plan_rules(pkg, tn, r) if tn else []
        entry['kind'] = kind
        fn_tf, cond = collect(attrs)
        for rule in rules:
            if rule.get('tf_path'):
                rule['tf_path'] = normalize_tf_path(rule['tf_path'])
            cond.append(rule)
        mapping, top_props, not_in_sdk, sdk_only = pulumi_paths(token, attrs, sdk, problems)
        # region (v6 provider-level interceptor)
        regional = None
        if top_props is not None:
            regional = 'region' in top_props
        else:
            regional = rel_dir.split('/')[-1] not in GLOBAL_SERVICES
        if region_rel and regional and 'region' not in attrs:
            cond.append({'tf_path': 'region', 'pulumi': 'region',
                         'how': f'provider interceptor forceNewIfRegionChanges ({region_rel})',
                         'when': 'region changes, except between unset and the provider region'})
        def absent(tfp: str, not_in_sdk=not_in_sdk) -> bool:
            parts = tfp.split('.')
            return any('.'.join(parts[:i]) in not_in_sdk for i in range(1, len(parts) + 1))
        dropped = sorted({mapping.get(p, camel(p)) for p in fn_tf if absent(p)})
        entry['forceNew'] = sorted({mapping.get(p, camel(p)) for p in fn_tf if not absent(p)})
        if dropped:
            entry['forceNewNotPulumiInputs'] = dropped
        cond = [c for c in cond if not (c.get('tf_path') and absent(c['tf_path']))]
        conditional = []
        for c in cond:
            tfp = c.get('tf_path')
            special = SPECIAL_CONDITIONS.get((tf_type, tfp)) if tfp else None
            item = {'path': c.get('pulumi') or (mapping.get(tfp) or '.'.join(camel(x) for x in tfp.split('.')) if tfp else None)}
            if special:
                item['when'] = special
            elif 'when' in c:
                item['when'] = c['when']
            elif c.get('condition'):
                item['when'] = condense_condition(c['condition'])
            else:
                item['when'] = 'see source'
            item['source'] = c['how']
            if 'expr' in c:
                item['expr'] = c['expr']
            if item['path'] in entry['forceNew']:
                continue  # already unconditional
            conditional.append(item)
        # merge conditionals with the same path and source (several ForceNew calls for one attribute)
        merged: dict[tuple, dict] = {}
        for item in conditional:
            k = (item['path'], item['source'])
            if k not in merged:
                merged[k] = item
            elif item['when'] not in merged[k]['when'].split(' OR '):
                merged[k]['when'] += ' OR ' + item['when']
        entry['conditional'] = list(merged.values())
        if top_props is not None:
            # Pulumi inputs (top level and nested) the source does not define: their ForceNew status is unknown
            entry['sdkInputsNotInSource'] = sorted(x for x in sdk_only if x != 'region' or not region_rel)
        out[token] = entry
    return out


def analyse_random(root: str, sdk_random: Optional[str], warnings: list[str], problems: list[str]) -> dict:
    d = os.path.join(root, 'internal', 'provider')
    index_modifier_descriptions(os.path.join(root, 'internal'))
    pkg = load_package(d)
    r = Resolver(pkg, {}, warnings)
    # resource type names from Metadata methods: resp.TypeName = req.ProviderTypeName + "_password"
    types = {}
    for (recv, name), f in pkg.methods.items():
        if name != 'Metadata':
            continue
        body = f.text.code[f.body[0]:f.body[1]]
        m = re.search(r'TypeName\s*=\s*req\.ProviderTypeName\s*\+\s*"(_\w+)"', body)
        if m and 'resource.MetadataRequest' in f.text.code[f.start:f.body[0]]:
            types['random' + m.group(1)] = recv
    out = {}
    for token, tf_type in RANDOM_TYPES.items():
        entry = {'forceNew': [], 'conditional': [], 'terraform': tf_type, 'kind': 'framework'}
        recv = types.get(tf_type)
        if not recv:
            problems.append(f"{token}: {tf_type} not found")
            entry['error'] = 'resource not found in source tree'
            out[token] = entry
            continue
        attrs, f = fw_find_schema(pkg, recv, r)
        entry['source'] = os.path.relpath(f.path, root) if f else None
        fn_tf, cond = collect(attrs or {})
        entry['forceNew'] = sorted(camel(p) for p in fn_tf)
        entry['conditional'] = [{'path': camel(c['tf_path']), 'when': c['how'].split(': ', 1)[-1],
                                 'source': c['how'].split(': ', 1)[0]} for c in cond]
        if sdk_random:
            problems.extend(_check_random_sdk(sdk_random, token, fn_tf))
        out[token] = entry
    return out


def _check_random_sdk(sdk_root: str, token: str, tf_paths: list[str]) -> list[str]:
    p = os.path.join(sdk_root, 'random_password.py')
    if not os.path.exists(p):
        return [f"{token}: SDK file random_password.py not found"]
    text = open(p, encoding='utf-8').read()
    wires = set(re.findall(r'@pulumi\.getter(?:\(name="([^"]+)"\))?', text)) | set(re.findall(r'def (\w+)\(self\)', text))
    return [f"{token}: {camel(x)} not an SDK property" for x in tf_paths if camel(x) not in wires and x not in wires]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--aws', required=True)
    ap.add_argument('--aws-overlay', action='append', default=[])
    ap.add_argument('--random', help='a terraform-provider-random tree (needed unless --only names aws types only)')
    ap.add_argument('--sdk', help='pulumi_aws SDK directory (optional, for wire names)')
    ap.add_argument('--sdk-random', help='pulumi_random SDK directory (optional)')
    ap.add_argument('--out', default='replacement-rules.json')
    ap.add_argument('--report', help='also write warnings/problems here')
    ap.add_argument('--aws-version', default='unknown')
    ap.add_argument('--random-version', default='unknown')
    ap.add_argument('--pulumi-aws-version', default='7.51.1')
    ap.add_argument('--pulumi-random-version', default='4.21.4')
    ap.add_argument('--provenance-note', default=None)
    ap.add_argument('--only', action='append', default=[], metavar='TOKEN',
                    help='analyse only these types and merge them into the existing --out file, keeping '
                         'every other entry and the provenance (a type just added to the table)')
    args = ap.parse_args(argv)
    global AWS_TYPES, RANDOM_TYPES
    if args.only:
        unknown = [t for t in args.only if t not in AWS_TYPES and t not in RANDOM_TYPES]
        if unknown:
            ap.error(f"--only {unknown[0]}: no row with a `terraform` name in offline/resource_types.py")
        AWS_TYPES = {t: tf for t, tf in AWS_TYPES.items() if t in args.only}
        RANDOM_TYPES = {t: tf for t, tf in RANDOM_TYPES.items() if t in args.only}

    warnings: list[str] = []
    problems: list[str] = []
    tree = Tree(os.path.abspath(args.aws), [os.path.abspath(o) for o in args.aws_overlay])
    sdk = SdkTypes(args.sdk) if args.sdk else None
    types = analyse_aws(tree, sdk, warnings, problems)
    if RANDOM_TYPES:
        if not args.random:
            ap.error('--random is needed for ' + ', '.join(RANDOM_TYPES))
        types.update(analyse_random(os.path.abspath(args.random), args.sdk_random, warnings, problems))

    # the aws_instance user_data rule must be present as data whatever the source shape
    inst = types.get('aws:ec2/instance:Instance')
    if inst and not inst.get('error') and not any(c.get('path') == 'userData' and c.get('when') for c in inst['conditional']):
        problems.append('aws:ec2/instance:Instance: no ForceNewIf(user_data) found in CustomizeDiff')

    provenance = {
        'pulumi-aws': args.pulumi_aws_version,
        'terraform-provider-aws': args.aws_version,
        'pulumi-random': args.pulumi_random_version,
        'terraform-provider-random': args.random_version,
        'generated_by': 'scripts/generate_replacement_rules.py',
    }
    if args.provenance_note:
        provenance['note'] = args.provenance_note
    if args.only:
        with open(args.out, encoding='utf-8') as fh:
            existing = json.load(fh)
        provenance = existing['provenance']
        added = ', '.join(f"{t} from terraform-provider-aws {args.aws_version}" if t.startswith('aws:')
                          else f"{t} from terraform-provider-random {args.random_version}" for t in sorted(types))
        provenance['merged'] = sorted(set(provenance.get('merged', [])) | {added})
        types = {**existing['types'], **types}
    doc = {'provenance': provenance, 'types': dict(sorted(types.items()))}
    with open(args.out, 'w', encoding='utf-8') as fh:
        json.dump(doc, fh, indent=2, sort_keys=False)
        fh.write('\n')
    if args.report:
        with open(args.report, 'w', encoding='utf-8') as fh:
            json.dump({'problems': problems, 'warnings': sorted(set(warnings))}, fh, indent=2)
            fh.write('\n')
    for p in problems:
        print('problem:', p, file=sys.stderr)
    print(f"wrote {args.out}: {len(types)} types, {len(problems)} problems, {len(set(warnings))} warnings",
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
