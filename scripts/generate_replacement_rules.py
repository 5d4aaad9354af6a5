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

Go is read with tree-sitter: each file is parsed into a syntax tree with the tree-sitter-go grammar (the
`tree-sitter` and `tree-sitter-go` packages; no Go toolchain, no hand-written lexer). What is read:
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
from typing import NotRequired, TypedDict

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor

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
# Go source on a tree-sitter-go syntax tree.

GO = Language(tree_sitter_go.language())
_PARSER = Parser(GO)
_QUERIES: dict[tuple[str, ...], Query] = {}
FUNC_DECLS = ('function_declaration', 'method_declaration')
IDENT_KINDS = ('identifier', 'field_identifier', 'type_identifier', 'package_identifier')
STRING_KINDS = ('interpreted_string_literal', 'raw_string_literal', 'rune_literal')
CLOSERS = {'(': ')', '[': ']', '{': '}'}


def _query(kinds: tuple[str, ...]) -> Query:
    """`[(kind) "token" ...] @n`: named node kinds, or anonymous tokens (such as `=`) given by their text."""
    q = _QUERIES.get(kinds)
    if q is None:
        pats = ' '.join(f'({k})' if k[0].isalpha() else json.dumps(k) for k in kinds)
        q = _QUERIES[kinds] = Query(GO, f'[{pats}] @n')
    return q


def field_node(node: Node, name: str) -> Node:
    """The child in a field the grammar always fills (`name` of a declaration, `operand` of a selector, ...)."""
    ch = node.child_by_field_name(name)
    if ch is None:
        raise ValueError(f"tree-sitter-go: {node.type} at byte {node.start_byte} has no {name!r} field")
    return ch


def parent_node(node: Node) -> Node:
    """The parent of a node below the root (a token's enclosing node)."""
    p = node.parent
    if p is None:
        raise ValueError(f"tree-sitter-go: {node.type} at byte {node.start_byte} has no parent")
    return p


class GoText:
    """A Go file and its tree-sitter-go syntax tree.

    Nodes carry byte offsets into the UTF-8 encoding; everything else here (spans, `code`, `src`) uses str
    indexes, converted with `c()` (byte -> index) and `b()` (index -> byte), the identity for ASCII files.
    `code` is `src` with every comment node blanked (newlines kept, same offsets), for the few looks at text
    that remain (the text of a node, the indentation heuristic of `enclosing_conditions`)."""

    def __init__(self, src: str):
        self.src = src
        data = src.encode('utf-8')
        self.tree = _PARSER.parse(data)
        self.root = self.tree.root_node
        if len(data) == len(src):
            self._b2c = self._c2b = None
        else:
            b2c = [0] * (len(data) + 1)
            c2b = [0] * (len(src) + 1)
            bi = 0
            for ci, ch in enumerate(src):
                c2b[ci] = bi
                o = ord(ch)
                w = 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
                for k in range(w):
                    b2c[bi + k] = ci
                bi += w
            c2b[len(src)] = bi
            b2c[bi] = len(src)
            self._b2c, self._c2b = b2c, c2b
        parts, last = [], 0
        for n in self.nodes(('comment',)):
            s, e = self.span(n)
            parts.append(src[last:s])
            parts.append(re.sub(r'[^\n]', ' ', src[s:e]))
            last = e
        parts.append(src[last:])
        self.code = ''.join(parts)

    # offsets
    def c(self, b: int) -> int:
        return b if self._b2c is None else self._b2c[b]

    def b(self, c: int) -> int:
        return c if self._c2b is None else self._c2b[c]

    def span(self, n: Node) -> tuple[int, int]:
        return self.c(n.start_byte), self.c(n.end_byte)

    def text(self, n: Node) -> str:
        s, e = self.span(n)
        return self.code[s:e]

    # finding nodes
    def nodes(self, kinds: tuple[str, ...], within: Node | None = None,
              span: tuple[int, int] | None = None) -> list[Node]:
        """Nodes of these kinds under `within` (default: the file) and inside the index span, in source order."""
        qc = QueryCursor(_query(kinds))
        if span is not None:
            bs, be = self.b(span[0]), self.b(span[1])
            qc.set_byte_range(bs, be)
        ns = qc.captures(within if within is not None else self.root).get('n', [])
        if span is not None:
            ns = [n for n in ns if n.start_byte >= bs and n.end_byte <= be]
        ns.sort(key=lambda n: (n.start_byte, -n.end_byte))
        return ns

    def leaf(self, i: int) -> Node:
        """The smallest node covering the character at index i (the token that starts there)."""
        b = self.b(i)
        n = self.root.descendant_for_byte_range(b, b + 1)
        if n is None:   # the root contains every range (tree-sitter returns the root itself at worst)
            raise ValueError(f"no syntax node at index {i}")
        return n

    def outermost_at(self, i: int) -> Node:
        """The largest node that starts at index i (the whole expression starting there)."""
        n = self.leaf(i)
        while n.parent is not None and n.parent.start_byte == n.start_byte and n.parent.type != 'source_file':
            n = n.parent
        return n

    def literal_at(self, i: int) -> Node | None:
        """The node delimited by the `{` token at index i (a literal_value, a block, ...)."""
        n = self.leaf(i)
        return n.parent if n.type == '{' else None

    def first_brace(self, s: int, e: int) -> Node | None:
        """The node delimited by the first `{` token in the span (strings and comments are not tokens)."""
        toks = self.nodes(('{',), span=(s, e))
        return toks[0].parent if toks else None

    def inner(self, n: Node) -> tuple[int, int]:
        """The span inside a bracket-delimited node's first and last tokens."""
        s, e = self.span(n)
        return s + 1, e - 1

    def past_group(self, i: int) -> int:
        """Index just past the string, or the bracket group, whose first character is at i."""
        n = self.leaf(i)
        if n.type in CLOSERS:
            closer, sib = CLOSERS[n.type], n.next_sibling
            while sib is not None and sib.type != closer:
                sib = sib.next_sibling
            return self.c((sib if sib is not None else parent_node(n)).end_byte)
        s: Node | None = n
        while s is not None and s.type not in STRING_KINDS:
            s = s.parent
        return self.c(s.end_byte) if s is not None else i + 1

    def ops(self, kinds: tuple[str, ...], s: int, e: int) -> list[tuple[Node, int, str]]:
        """Operator tokens (`=`, `:=`) in the span, each with the index where the text before it ends (blanks
        dropped) and that text's last 1000 characters (for an anchored look at the left-hand side)."""
        out, code = [], self.code
        for n in self.nodes(kinds, span=(s, e)):
            k = self.c(n.start_byte)
            while k > 0 and code[k - 1].isspace():
                k -= 1
            out.append((n, k, code[max(0, k - 1000):k]))
        return out

    def after_op(self, op: Node) -> int:
        """Index of the first non-space character after an operator token."""
        j = self.c(op.end_byte)
        while j < len(self.code) and self.code[j].isspace():
            j += 1
        return j


CONTINUES = ('+', '-', '*', '/', '||', '&&', '.', ',', '(')


def expr_end(t: GoText, s: int) -> int:
    """End of the expression that starts at (or after blanks from) index s, to where the original lexer stopped:
    the expression node, then the rest of its line up to a newline (not after an operator), `;` or `)`."""
    code, n = t.code, len(t.code)
    j = s
    while j < n and code[j] in ' \t\r\f\v':
        j += 1
    if j < n and code[j] not in '\n;)':
        j = t.c(t.outermost_at(j).end_byte)
    while j < n:
        c = code[j]
        if c in '"`\'([{':
            j = t.past_group(j)
            continue
        if c == '\n' or c == ';':
            if code[s:j].rstrip().endswith(CONTINUES):
                j += 1
                continue
            return j
        if c == ')':
            return j
        j += 1
    return n


def keyed(t: GoText, lit: Node | None) -> list[tuple[str, int, int]]:
    """(key text, value span) of the keyed elements of a literal_value."""
    out: list[tuple[str, int, int]] = []
    if lit is None:
        return out
    for ch in lit.named_children:
        if ch.type == 'keyed_element':
            k, v = field_node(ch, 'key'), field_node(ch, 'value')
            out.append((t.text(k), *t.span(v)))
    return out


def returns_in(t: GoText, n: Node | None = None, span: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Each `return` statement under n (nested function literals included): the span of what it returns, from
    just after the keyword (the original's `\\breturn\\b` + expression end)."""
    out = []
    for ret in t.nodes(('return_statement',), within=n, span=span):
        s = t.c(ret.children[0].end_byte)
        out.append((s, expr_end(t, s)))
    return out


def go_string(lit: str) -> str | None:
    lit = lit.strip()
    if len(lit) >= 2 and lit[0] == '"' and lit[-1] == '"':
        return bytes(lit[1:-1], 'utf-8').decode('unicode_escape')
    if len(lit) >= 2 and lit[0] == '`' and lit[-1] == '`':
        return lit[1:-1]
    return None


# --------------------------------------------------------------------------------------------
# A Go package: its files, its top-level funcs, vars and string consts.

SPEC_TYPE_RE = re.compile(r'[\w.*\[\]]+')   # the declared types the var/const index has always accepted


@dataclass
class Func:
    name: str
    recv: str | None
    text: GoText
    start: int           # index of 'func'
    body: tuple[int, int]  # span inside the body braces
    path: str
    node: Node       # the function_declaration / method_declaration
    body_node: Node  # its block


def receiver_type(t: GoText, d: Node) -> str | None:
    """`func (r *T) M(...)` / `func (T[K]) M(...)` -> "T"."""
    params = [p for p in field_node(d, 'receiver').named_children if p.type == 'parameter_declaration']
    if not params:
        return None
    typ = params[0].child_by_field_name('type')
    if typ is not None and typ.type == 'pointer_type':
        typ = typ.named_children[0]
    if typ is not None and typ.type == 'generic_type':
        typ = typ.child_by_field_name('type')
    return t.text(typ) if typ is not None and typ.type == 'type_identifier' else None


def single_spec(t: GoText, spec: Node) -> tuple[str, int, int] | None:
    """(name, value span) of a one-name var/const spec with a value and a plain declared type (or none)."""
    names = spec.children_by_field_name('name')
    value = spec.child_by_field_name('value')
    typ = spec.child_by_field_name('type')
    if len(names) != 1 or value is None or (typ is not None and not SPEC_TYPE_RE.fullmatch(t.text(typ))):
        return None
    return (t.text(names[0]), *t.span(value))


def embedded_types(t: GoText, struct: Node) -> list[str]:
    """Embedded fields (`T` / `*T`, each alone on its line) of a struct type, nested struct types included."""
    fields = next((c for c in struct.named_children if c.type == 'field_declaration_list'), None)
    if fields is None:
        return []
    a, b = t.inner(fields)
    code = t.code
    out = []
    for fd in t.nodes(('field_declaration',), within=fields):
        typ = fd.child_by_field_name('type')
        if (fd.child_by_field_name('name') is not None or fd.child_by_field_name('tag') is not None
                or typ is None or typ.type != 'type_identifier'):
            continue
        s, e = t.span(fd)
        ls = max(a, code.rfind('\n', 0, s) + 1)
        le = code.find('\n', e)
        le = b if le < 0 or le > b else le
        if code[ls:le].strip() == code[s:e]:
            out.append(t.text(typ))
    return out


class Package:
    def __init__(self, directory: str, files: dict[str, str]):
        self.dir = directory
        self.texts: dict[str, GoText] = {p: GoText(s) for p, s in files.items()}
        self.funcs: dict[str, list[Func]] = {}
        self.methods: dict[tuple[str, str], Func] = {}
        self.vars: dict[str, tuple[GoText, int, int]] = {}
        self.consts: dict[str, str] = {}
        self.structs: dict[str, tuple[GoText, Node]] = {}
        for p, t in self.texts.items():
            self._index(p, t)

    def _index(self, path: str, t: GoText) -> None:
        top = t.root.named_children
        for d in top:
            if d.type not in FUNC_DECLS:
                continue
            body = d.child_by_field_name('body')
            if body is None:
                continue
            recv = receiver_type(t, d) if d.type == 'method_declaration' else None
            if d.type == 'method_declaration' and recv is None:
                continue
            s, e = t.span(body)
            f = Func(t.text(field_node(d, 'name')), recv, t, t.span(d)[0], (s + 1, e - 1), path, d, body)
            if f.recv:
                self.methods[(f.recv, f.name)] = f
            else:
                self.funcs.setdefault(f.name, []).append(f)
        # package-level `var name = <expr>` ...
        for d in top:
            if d.type == 'var_declaration':
                for spec in d.named_children:
                    one = single_spec(t, spec) if spec.type == 'var_spec' else None
                    if one:
                        self.vars[one[0]] = (t, one[1], one[2])
        # ... and `var ( name = <expr> ... )` / `const ( ... )`: string constants, the rest as vars
        for d in top:
            specs = []
            if d.type == 'var_declaration':
                for ch in d.named_children:
                    if ch.type == 'var_spec_list':
                        specs += [x for x in ch.named_children if x.type == 'var_spec']
            elif d.type == 'const_declaration' and any(ch.type == '(' for ch in d.children):
                specs = [x for x in d.named_children if x.type == 'const_spec']
            for spec in specs:
                one = single_spec(t, spec)
                if not one:
                    continue
                name, s, e = one
                val = t.code[s:e].strip()
                const = go_string(val)
                if const is not None:
                    self.consts[name] = const
                else:
                    self.vars.setdefault(name, (t, s, e))
        # `const name [T] = "..."`
        for d in top:
            if d.type == 'const_declaration' and not any(ch.type == '(' for ch in d.children):
                for spec in d.named_children:
                    if spec.type != 'const_spec':
                        continue
                    typ = spec.child_by_field_name('type')
                    one = single_spec(t, spec)
                    if one and (typ is None or re.fullmatch(r'\w+', t.text(typ))):
                        m = re.match(r'"(?:[^"\\\n]|\\.)*"', t.code[one[1]:one[2]])
                        const = go_string(m.group(0)) if m else None   # a quoted match: never None
                        if const is not None:
                            self.consts[one[0]] = const
        # `type name struct {...}`
        for d in top:
            if d.type == 'type_declaration' and not any(ch.type == '(' for ch in d.children):
                for spec in d.named_children:
                    typ = spec.child_by_field_name('type') if spec.type == 'type_spec' else None
                    if (typ is not None and typ.type == 'struct_type'
                            and spec.child_by_field_name('type_parameters') is None):
                        self.structs[t.text(field_node(spec, 'name'))] = (t, typ)

    def func(self, name: str) -> Func | None:
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
    force_new_expr: str | None = None   # ForceNew: <not true> (conditional)
    conditional: str | None = None      # framework RequiresReplaceIf...
    max_items: int | None = None
    computed: bool = False
    optional: bool = False
    required: bool = False
    children: dict[str, Attr] = field(default_factory=dict)
    unresolved: str | None = None

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

    def key(self, expr: str) -> str | None:
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

    def returned_expr(self, f: Func) -> tuple[GoText, int, int] | None:
        """The expression of the last `return` statement in f (enough for schema helpers)."""
        rets = returns_in(f.text, f.body_node)
        return (f.text, *rets[-1]) if rets else None


# --------------------------------------------------------------------------------------------
# SDKv2 schema parsing

def parse_sdk_schema_map(t: GoText, lit: Node | None, r: Resolver, depth: int = 0) -> dict[str, Attr]:
    """The keyed elements of a `map[string]*schema.Schema{...}` literal (its literal_value node)."""
    out: dict[str, Attr] = {}
    for key, vs, ve in keyed(t, lit):
        name = r.key(key)
        if name is None:
            r.warnings.append(f"unresolved schema key {key.strip()!r} in {os.path.basename(t_path(t, r))}")
            continue
        out[name] = parse_sdk_schema_value(t, vs, ve, name, r, depth)
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


TRUE_RE = re.compile(r'\s*true')


def assigns_true(t: GoText, s: int, e: int, lhs_re: str) -> list[re.Match]:
    """`<lhs> = true` assignments in the span whose left side ends with the pattern (match of it, in order)."""
    out = []
    for op, _k, before in t.ops(('=',), s, e):
        m = re.search(lhs_re + r'$', before)
        if m and TRUE_RE.match(t.code, t.c(op.end_byte)):
            out.append(m)
    return out


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
        fill_sdk_schema_literal(t, t.literal_at(s + m.end() - 1), attr, r, depth)
        return attr
    # func() *schema.Schema { ... }(): every return of the function literal
    body = t.first_brace(s, e) if expr.startswith('func') else None
    if body is not None:
        for rs, re_ in returns_in(t, body):
            sub = parse_sdk_schema_value(t, rs, re_, name, r, depth + 1)
            _merge(attr, sub)
        return attr
    # identifier / call of a same-package helper
    m = re.fullmatch(r'(\w+)(?:\((.*)\))?', expr, re.S)
    if m and m.group(2) is None and (local := ident_local_assignment(t, s, m.group(1))):
        ls, le = local
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
                    if assigns_true(f.text, f.body[0], f.body[1], r'\.\s*ForceNew'):
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


def ident_local_assignment(t: GoText, at: int, ident: str) -> tuple[int, int] | None:
    """`ident := <expr>` (or `ident = <expr>`) between the top-level func declaration that starts last before
    offset `at` and `at`: the last `=`/`:=` token there whose left side ends with ident."""
    bat = t.b(at)
    decl = None
    for d in t.root.named_children:
        if d.start_byte >= bat:
            break
        if d.type in FUNC_DECLS:
            decl = d
    if decl is None:
        return None
    best = None
    for op, _k, before in t.ops(('=', ':='), t.c(decl.start_byte), at):
        if re.search(rf'\b{re.escape(ident)}$', before):
            s = t.after_op(op)
            best = (s, expr_end(t, s))
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


def fill_sdk_schema_literal(t: GoText, lit: Node | None, attr: Attr, r: Resolver, depth: int) -> None:
    """The keyed elements of a `schema.Schema{...}` literal: `ForceNew: true`, `Type:`, `Elem:`, ..."""
    code = t.code
    for fname, vs, ve in keyed(t, lit):
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
        parse_sdk_resource_literal(t, t.literal_at(s + m.end() - 1), attr, r, depth)
        return
    m = re.match(r'&?\s*schema\.Schema\s*\{', expr)
    if m:
        return  # primitive element
    body = t.first_brace(s, e) if expr.startswith('func') else None
    if body is not None:
        for rs, re_ in returns_in(t, body):
            parse_sdk_elem(t, rs, re_, attr, r, depth + 1)
        return
    m = re.fullmatch(r'(\w+)(?:\((.*)\))?', expr.strip(), re.S)
    if m:
        ident = m.group(1)
        if m.group(2) is not None and (f := r.pkg.func(ident)):
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


def parse_sdk_resource_literal(t: GoText, lit: Node | None, attr: Attr, r: Resolver, depth: int) -> None:
    """`&schema.Resource{ Schema: ... }` (nested block) -> attr.children."""
    for fname, vs, ve in keyed(t, lit):
        if fname in ('Schema', 'SchemaFunc'):
            attr.children.update(schema_map_from_expr(t, vs, ve, r, depth + 1))


def schema_map_from_expr(t: GoText, s: int, e: int, r: Resolver, depth: int) -> dict[str, Attr]:
    """The schema map of `Schema:`/`SchemaFunc:` values: a map literal, a func literal, or a helper."""
    code = t.code
    expr = code[s:e].strip()
    if expr.startswith('map['):
        return parse_sdk_schema_map(t, t.first_brace(s, e), r, depth)
    body = t.first_brace(s + expr.find(')') + 1 if ')' in expr else s, e) if expr.startswith('func') else None
    if body is not None:
        return _schema_map_in_body(t, *t.inner(body), r, depth)
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
    lits = [n for n in t.nodes(('composite_literal',), span=(a, b))
            if (typ := n.child_by_field_name('type')) is not None
            and t.text(typ) == 'map[string]*schema.Schema']
    if not lits:
        # `return someOtherHelper()`
        for ret in t.nodes(('return_statement',), span=(a, b)):
            rm = re.match(r'return\s+(\w+)\(\s*\)', t.text(ret))
            if rm:
                f = r.pkg.func(rm.group(1))
                if f:
                    return _schema_map_in_body(f.text, f.body[0], f.body[1], r, depth + 1)
                break
        return {}
    out = parse_sdk_schema_map(t, lits[0].child_by_field_name('body'), r, depth)
    # assignments after the literal: s["x"].ForceNew = true
    for am in assigns_true(t, a, b, r'\b\w+\[("[^"]+"|names\.\w+)\]\.ForceNew'):
        k = r.key(am.group(1))
        if k and k in out:
            out[k].force_new = True
    return out


# --------------------------------------------------------------------------------------------
# CustomizeDiff


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


def last_word(t: GoText, n: Node) -> Node | None:
    """The identifier a selector operand ends with (`d` in `d.ForceNew`, `b` in `a.b.ForceNew`)."""
    if n.type in IDENT_KINDS:
        return n
    if n.type == 'selector_expression':
        return n.child_by_field_name('field')
    return None


ForceNewCall = tuple[int, str | None, str | None, str, int | None]


def forcenew_calls(t: GoText, a: int, b: int) -> list[ForceNewCall]:
    """`x.ForceNew(<arg>)` and `customdiff.ForceNewIf[Change](<arg>, ...)` calls in the span, in source order:
    (position, receiver word or None, ForceNewIf/ForceNewIfChange or None, argument text, end of the argument's
    comma)."""
    out: list[ForceNewCall] = []
    code = t.code
    for call in t.nodes(('call_expression',), span=(a, b)):
        fn, args = call.child_by_field_name('function'), call.child_by_field_name('arguments')
        if fn is None or args is None or fn.type != 'selector_expression':
            continue
        field_name = t.text(field_node(fn, 'field'))
        operand = field_node(fn, 'operand')
        as_, ae = t.span(args)
        if field_name == 'ForceNew':
            w = last_word(t, operand)
            m = re.fullmatch(r'\(\s*([^()]*?)\s*\)', code[as_:ae])
            if w is not None and m:
                out.append((t.span(w)[0], t.text(w), None, m.group(1), None))
        elif field_name in ('ForceNewIf', 'ForceNewIfChange') and t.text(operand).endswith('customdiff'):
            m = re.match(r'\(\s*([^,()]+?)\s*,', code[as_:ae])
            if m:
                out.append((t.span(operand)[1] - len('customdiff'), None, field_name, m.group(1), as_ + m.end()))
    out.sort(key=lambda x: x[0])
    return out


def customize_diff_rules(t: GoText, s: int, e: int, r: Resolver) -> list[dict]:
    """ForceNew calls reachable from a CustomizeDiff expression (same package, two calls deep)."""
    rules: list[dict] = []
    seen: set[str] = set()

    def scan(tt: GoText, a: int, b: int, origin: str, level: int) -> None:
        for pos, recv, which, arg, cond_start in forcenew_calls(tt, a, b):
            if recv:
                how = f'{recv}.ForceNew in {origin}'
            else:
                how = f'customdiff.{which} in {origin}'
            key = r.key(arg)
            rule = {'tf_path': key, 'how': how}
            if key is None:
                rule['expr'] = arg.strip()
            if recv:
                ctx = enclosing_conditions(tt.code, pos)
                if ctx:
                    rule['condition'] = ctx
            # the condition text of ForceNewIf/ForceNewIfChange: the func literal's body (short)
            if which and cond_start is not None:   # set together (customdiff.ForceNewIf...)
                cond_end = expr_end(tt, cond_start)
                rule['condition'] = ' '.join(tt.code[cond_start:cond_end].split())[:700]
            rules.append(rule)
        if level >= 2:
            return
        for n in tt.nodes(IDENT_KINDS, span=(a, b)):
            name = tt.text(n)
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
    out = {}
    for key, vs, ve in keyed(t, t.first_brace(s, e)):
        name = r.key(key)
        if name is None:
            r.warnings.append(f"unresolved framework key {key.strip()!r}")
            continue
        out[name] = parse_fw_value(t, vs, ve, name, r, depth)
    return out


def parse_fw_value(t: GoText, s: int, e: int, name: str, r: Resolver, depth: int) -> Attr:
    s, e = strip_span(t, s, e)
    code = t.code
    expr = code[s:e]
    attr = Attr(name)
    m = re.match(r'(?:\w+\.)?(\w+(?:Attribute|Block))\s*\{', expr)
    if m:
        attr.kind = m.group(1)
        fill_fw_literal(t, t.literal_at(s + m.end() - 1), attr, r, depth)
        return attr
    m = re.fullmatch(r'(\w+)\((.*)\)', expr, re.S)
    if m and (f := r.pkg.func(m.group(1))):
        ret = r.returned_expr(f)
        if ret:
            return parse_fw_value(ret[0], ret[1], ret[2], name, r, depth + 1)
    attr.kind = 'external:' + expr[:60]
    if 'RequiresReplace' in expr:
        attr.force_new = True
    return attr


def calls_named(t: GoText, s: int, e: int, name_re: str, args_re: str) -> list[Node]:
    """Calls in the span whose function text matches name_re (at its end) and whose argument list matches args_re."""
    out = []
    for call in t.nodes(('call_expression',), span=(s, e)):
        fn, args = call.child_by_field_name('function'), call.child_by_field_name('arguments')
        if (fn is not None and args is not None and re.search(name_re + r'$', t.text(fn))
                and re.fullmatch(args_re, t.text(args))):
            out.append(call)
    return out


def fill_fw_literal(t: GoText, lit: Node | None, attr: Attr, r: Resolver, depth: int) -> None:
    code = t.code
    for fname, vs, ve in keyed(t, lit):
        val = code[vs:ve]
        if fname == 'PlanModifiers':
            if calls_named(t, vs, ve, r'(?<!\w)RequiresReplace', r'\(\s*\)'):
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
                fill_fw_literal(t, t.literal_at(vs + m.end() - 1), tmp, r, depth + 1)
                attr.children.update(tmp.children)
        elif fname == 'Validators' and calls_named(t, vs, ve, r'SizeAtMost', r'\(\s*1\s*\)'):
            attr.max_items = 1


MODIFIER_DESCRIPTIONS: dict[str, str] = {}   # filled by a caller that can see helper packages


def describe_modifier(t: GoText, s: int, e: int, r: Resolver) -> str:
    """A plan modifier list with a conditional RequiresReplace..., as `modifier: description`."""
    name = short = None
    for call in t.nodes(('call_expression',), span=(s, e)):
        fn = call.child_by_field_name('function')
        if fn is None:
            continue
        w = last_word(t, fn)
        word = t.text(w) if w is not None else ''
        k = word.find('RequiresReplace')
        if k < 0:
            continue
        short = word[k:]
        operand = fn.child_by_field_name('operand') if fn.type == 'selector_expression' else None
        ow = last_word(t, operand) if (operand is not None and k == 0) else None
        name = (t.text(ow) + '.' if ow is not None else '') + short
        break
    if name is None:
        name = ' '.join(t.src[s:e].split())[:120]
    # RequiresReplaceIf(func, "description", "markdown")
    strings = t.nodes(('interpreted_string_literal',), span=(s, e))
    if strings:
        return f'{name}: {bytes(t.src[slice(*t.span(strings[0]))][1:-1], "utf-8").decode("unicode_escape")}'
    if short and short in MODIFIER_DESCRIPTIONS:
        return f'{name}: {MODIFIER_DESCRIPTIONS[short]}'
    if short == 'RequiresReplaceIfConfigured':
        return f'{name}: replaced when a configured value changes'
    return name


def index_modifier_descriptions(root: str) -> None:
    """Description() strings of custom plan modifiers defined under root (constructor name -> text):
    `func RequiresReplaceX(...) ... { return &T{...} }` and `func (T) Description(...) string { return "..." }`."""
    for dirpath, _ds, fs in os.walk(root):
        gofiles = [f for f in fs if f.endswith('.go') and not f.endswith('_test.go')]
        if not gofiles:
            continue
        srcs = []
        for fn in gofiles:
            with open(os.path.join(dirpath, fn), encoding='utf-8') as fh:
                srcs.append(fh.read())
        if not any('planmodifier' in s for s in srcs):
            continue
        ctors: list[tuple[str, str]] = []
        descs: dict[str, str] = {}
        for t in map(GoText, srcs):
            for d in t.root.named_children:
                body = d.child_by_field_name('body') if d.type in FUNC_DECLS else None
                if body is None:
                    continue
                name = t.text(field_node(d, 'name'))
                stmts = body.named_children
                if stmts and stmts[0].type == 'statement_list':
                    stmts = stmts[0].named_children
                first = stmts[0] if stmts else None
                # `{ return ...`: nothing (not even a comment) between the brace and `return`
                if (first is None or first.type != 'return_statement'
                        or t.src[t.c(body.start_byte) + 1:t.c(first.start_byte)].strip()):
                    continue
                params = field_node(d, 'parameters')
                ret_src = t.src[slice(*t.span(first))]
                if d.type == 'function_declaration' and name.startswith('RequiresReplace'):
                    if '{' not in t.src[t.c(params.start_byte):t.c(body.start_byte)]:
                        m = re.match(r'return\s+&?(\w+)\s*\{', ret_src)
                        if m:
                            ctors.append((name, m.group(1)))
                elif d.type == 'method_declaration' and name == 'Description':
                    rm = re.fullmatch(r'\(\s*\w*\s*\*?(\w+)\s*\)', t.text(field_node(d, 'receiver')))
                    result = d.child_by_field_name('result')
                    m = re.match(r'return\s+"((?:[^"\\]|\\.)*)"', ret_src)
                    if (rm and m and ')' not in t.text(params)[1:-1] and result is not None
                            and t.text(result) == 'string'):
                        descs.setdefault(rm.group(1), m.group(1))
        for name, typ in ctors:
            if typ in descs:
                MODIFIER_DESCRIPTIONS[name] = descs[typ]


def fw_schema_from_method(f: Func, r: Resolver) -> dict[str, Attr] | None:
    """`resp.Schema = schema.Schema{...}` (or `= helper()`) in a Schema method."""
    t = f.text
    a, b = f.body
    for op, _k, before in t.ops(('=',), a, b):
        if before.endswith('.Schema'):
            s = t.after_op(op)
            return fw_schema_literal(t, s, expr_end(t, s), r)
    return None


def fw_schema_literal(t: GoText, s: int, e: int, r: Resolver) -> dict[str, Attr] | None:
    code = t.code
    expr = code[s:e].strip()
    m = re.match(r'(?:\w+\.)?Schema\s*\{', expr)
    if m:
        s0 = s + (len(code[s:e]) - len(code[s:e].lstrip()))
        top = Attr('')
        fill_fw_literal(t, t.literal_at(s0 + m.end() - 1), top, r, 0)
        return top.children
    m = re.fullmatch(r'(\w+)\((.*)\)', expr, re.S)
    if m and (f := r.pkg.func(m.group(1))):
        ret = r.returned_expr(f)
        if ret:
            return fw_schema_literal(ret[0], ret[1], ret[2], r)
    r.warnings.append(f"framework schema expression not understood: {expr[:80]!r}")
    return None


def fw_find_schema(pkg: Package, type_name: str, r: Resolver,
                   seen: set[str] | None = None) -> tuple[dict[str, Attr] | None, Func | None]:
    seen = seen or set()
    if type_name in seen:
        return None, None
    seen.add(type_name)
    f = pkg.methods.get((type_name, 'Schema'))
    if f:
        return fw_schema_from_method(f, r), f
    st = pkg.structs.get(type_name)
    if st:
        for embedded in embedded_types(*st):
            res = fw_find_schema(pkg, embedded, r, seen)
            if res[0] is not None:
                return res
    return None, None


def fw_modify_plan_rules(pkg: Package, type_name: str, r: Resolver) -> list[dict]:
    rules = []
    names_to_check = [type_name]
    st = pkg.structs.get(type_name)
    if st:
        names_to_check += embedded_types(*st)
    for tn in names_to_check:
        f = pkg.methods.get((tn, 'ModifyPlan'))
        if not f:
            continue
        t = f.text
        a, b = f.body
        for op, k, before in t.ops(('=',), a, b):
            if not before.endswith('RequiresReplace'):
                continue
            s = t.after_op(op)
            e = expr_end(t, s)
            expr = t.code[s:e]
            cond = enclosing_conditions(t.code, k - len('RequiresReplace'))
            how = f'ModifyPlan of {tn} sets RequiresReplace'
            for call in calls_named(t, s, e, r'path\.Root', r'\([^()]*\)'):
                arg = t.text(field_node(call, 'arguments'))[1:-1]
                key = r.key(arg)
                if key is not None:
                    rules.append({'tf_path': key, 'how': how, 'condition': cond})
                    continue
                # a variable: which names can it hold? follow `x := y.method()` to the method's string returns

                cands = []
                calls = re.findall(r'\.(\w+)\(\)', cond) or method_calls_without_args(t, a, b)
                for call_name in calls:
                    for (_recv, mname), mf in pkg.methods.items():
                        if mname == call_name:
                            for ret in mf.text.nodes(('return_statement',), within=mf.body_node):
                                cm = re.match(r'return\s+("[^"]+"|names\.\w+)', mf.text.text(ret))
                                if cm:
                                    cands.append(cm.group(1))
                for c in dict.fromkeys(cands):
                    key = r.key(c)
                    if key:
                        rules.append({'tf_path': key, 'how': how, 'condition': cond,
                                      'expr': expr.strip()})
    return rules


def method_calls_without_args(t: GoText, a: int, b: int) -> list[str]:
    """`x.name()` calls in the span: the names, in source order."""
    fields = []
    for call in calls_named(t, a, b, r'\.\w+', r'\(\)'):
        fl = field_node(call, 'function').child_by_field_name('field')
        if fl is not None:
            fields.append((fl.start_byte, t.text(fl)))
    return [n for _p, n in sorted(fields)]


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


def next_decl(t: GoText, at: int, kinds: tuple[str, ...] = FUNC_DECLS) -> Node | None:
    """The first top-level declaration of these kinds that starts at or after index `at`."""
    bat = t.b(at)
    return next((d for d in t.root.named_children if d.type in kinds and d.start_byte >= bat), None)


def annotated_func(pkg: Package, path: str, tf_type: str) -> Func | None:
    """The function declared after the resource's annotation comment."""
    t = pkg.texts[path]
    m = re.search(rf'^//\s*@(?:SDK|Framework)Resource\("{re.escape(tf_type)}"', t.src, re.M)
    if not m:
        return None
    d = next_decl(t, m.end())
    if d is None:
        return None
    for f in pkg.funcs.get(t.text(field_node(d, 'name')), []):
        if f.path == path:
            return f
    return None


def is_schema_resource_literal(t: GoText, u: Node) -> bool:
    """`&schema.Resource{...}` (a unary_expression)."""
    if not t.text(u).startswith('&schema.Resource'):
        return False
    operand = field_node(u, 'operand')
    return operand.type == 'composite_literal' and t.text(field_node(operand, 'type')) == 'schema.Resource'


def sdk_resource_schema(f: Func, r: Resolver) -> tuple[dict[str, Attr], list[dict]]:
    """Schema map and CustomizeDiff rules of an SDKv2 resource constructor."""
    t = f.text
    a, b = f.body
    lit = next((u for u in t.nodes(('unary_expression',), within=f.body_node) if is_schema_resource_literal(t, u)), None)
    if lit is None:
        # constructor may return another constructor's resource, e.g. `r := resourceX(); ...`
        first = first_empty_call(t, f.body_node)
        if first and (ff := r.pkg.func(first)):
            return sdk_resource_schema(ff, r)
        raise ValueError(f"no &schema.Resource literal in {f.name}")
    attrs: dict[str, Attr] = {}
    rules: list[dict] = []
    for fname, vs, ve in keyed(t, field_node(lit, 'operand').child_by_field_name('body')):
        if fname in ('Schema', 'SchemaFunc'):
            attrs.update(schema_map_from_expr(t, vs, ve, r, 0))
        elif fname == 'CustomizeDiff':
            rules.extend(customize_diff_rules(t, vs, ve, r))
    # fields assigned after the literal: `r.Schema["x"].ForceNew = true`
    for am in assigns_true(t, a, b, r'\.Schema\[("[^"]+"|names\.\w+)\]\.ForceNew'):
        k = r.key(am.group(1))
        if k in attrs:
            attrs[k].force_new = True
    return attrs, rules


def first_empty_call(t: GoText, body: Node) -> str | None:
    """The word before the first empty argument list `word()` in a body: a call `name()` / `x.name()`, or
    `func()` (a function literal or type without parameters)."""
    cands = []
    for n in t.nodes(('call_expression', 'func_literal', 'function_type'), within=body):
        if n.type == 'call_expression':
            fn = n.child_by_field_name('function')
            w = last_word(t, fn) if fn is not None else None
            if w is not None:
                args = field_node(n, 'arguments')
                if w.end_byte == args.start_byte and re.fullmatch(r'\(\s*\)', t.text(args)):
                    cands.append((w.start_byte, t.text(w)))
        else:
            params = n.child_by_field_name('parameters')
            if params is not None and params.start_byte == n.start_byte + 4 and re.fullmatch(r'\(\s*\)', t.text(params)):
                cands.append((n.start_byte, 'func'))
    return min(cands)[1] if cands else None


def fw_type_of_constructor(f: Func) -> str | None:
    """T of the first `&T{...}` in the constructor."""
    t = f.text
    for u in t.nodes(('unary_expression',), within=f.body_node):
        operand = field_node(u, 'operand')
        if (t.text(u).startswith('&') and operand.type == 'composite_literal'
                and field_node(operand, 'type').type == 'type_identifier'):
            return t.text(field_node(operand, 'type'))
    return None


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

    GETTER_RE = re.compile(r'@pulumi\.getter(?:\(name="([^"]+)"\))?[ \t]*\n(?:[ \t]*@[^\n]*\n)*'
                           r'[ \t]*def (\w+)\(self\)\s*->\s*([^\n]+?):[ \t]*\n')

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

    def class_props(self, module: str, cls: str) -> dict[str, str | None] | None:
        """wire name -> nested input class name (or None) for `class cls:` in the module."""
        text = self._module_text(module)
        m = re.search(rf'^class {re.escape(cls)}\b[^\n]*:\s*\n', text, re.M)
        if not m:
            return None
        rest = text[m.end():]
        n = re.search(r'^(?:class |@pulumi\.input_type|@pulumi\.output_type|if not MYPY)', rest, re.M)
        block = rest[:n.start()] if n else rest
        props: dict[str, str | None] = {}
        for g in self.GETTER_RE.finditer(block):
            wire = g.group(1) or g.group(2)
            typ = g.group(3)
            cm = re.search(r"'(\w+Args)'", typ)
            props[wire] = cm.group(1) if cm else None
        return props


def pulumi_paths(token: str, attrs: dict[str, Attr], sdk: SdkTypes | None, problems: list[str]
                 ) -> tuple[dict[str, str], dict[str, str | None] | None, set[str], list[str]]:
    """Map TF attribute tree -> {tf dotted path: pulumi dotted path}, plus SDK inputs (top level)."""
    module = token.split(':')[1].split('/')[0]
    cls = token.split(':')[2] + 'Args'
    top_props = sdk.class_props(module, cls) if sdk else None
    if sdk and top_props is None:
        problems.append(f"{token}: SDK class {module}.{cls} not found")
    mapping: dict[str, str] = {}
    not_in_sdk: set[str] = set()
    sdk_only: list[str] = []

    def walk(level: dict[str, Attr], props: dict[str, str | None] | None, tf_prefix: str, pu_prefix: str) -> None:
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
                # props come from the SDK: sdk is not None here
                if props is not None and sdk is not None and (child_cls := props.get(wire)):
                    child_props = sdk.class_props(module, child_cls)
                walk(a.children, child_props, tfp + '.', pup + '.')
        if props is not None:
            sdk_only.extend(pu_prefix + w for w in props if w not in seen_wires)

    walk(attrs, top_props, '', '')
    return mapping, top_props, not_in_sdk, sdk_only


# --------------------------------------------------------------------------------------------

def collect(attrs: dict[str, Attr], prefix: str = '') -> tuple[list[str], list[dict]]:
    """(forceNew tf paths, conditional entries) from an attribute tree."""
    fn: list[str] = []
    cond: list[dict] = []
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
    """`names.AttrX` constants: names/*.go (`AttrX = "x"` specs, each first on its line) and
    names/attr_constants.csv (`x,X`)."""
    out: dict[str, str] = {}
    d = os.path.join(root, 'names')
    if not os.path.isdir(d):
        return out
    for fn in sorted(os.listdir(d)):
        p = os.path.join(d, fn)
        if fn.endswith('.go') and not fn.endswith('_test.go'):
            with open(p, encoding='utf-8') as fh:
                t = GoText(fh.read())
            for spec in t.nodes(('const_spec', 'var_spec')):
                s = t.span(spec)[0]
                if t.src[t.src.rfind('\n', 0, s) + 1:s].strip():
                    continue
                m = NAME_CONST_RE.match(t.src, s)
                if m:
                    out[m.group(1)] = m.group(2)
        elif fn == 'attr_constants.csv':
            with open(p, encoding='utf-8') as fh:
                for line in fh:
                    parts = line.strip().split(',')
                    if len(parts) >= 2 and parts[0] and parts[1] and parts[0] != 'Literal':
                        out.setdefault('Attr' + parts[1], parts[0])
    return out


NAME_CONST_RE = re.compile(r'(Attr\w+)\s*=\s*"([^"]*)"')


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


def locate(tree: Tree, rel_root: str, wanted: set[str]) -> dict[str, tuple[str, str, str, str | None]]:
    """tf type -> (kind, package rel dir, file, constructor func name or None)."""
    found: dict[str, tuple[str, str, str, str | None]] = {}
    unnamed: list[tuple[str, str, int]] = []   # framework constructors whose type name is set in Metadata
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
            unnamed.append((os.path.dirname(rel), ap, m.end()))
    for rel_dir, ap, at in unnamed:
        pkg = tree.package(rel_dir)
        t = pkg.texts.get(ap)
        d = next_decl(t, at, ('function_declaration',)) if t else None
        if t is None or d is None:
            continue
        fname = t.text(field_node(d, 'name'))
        f = next((x for x in pkg.funcs.get(fname, []) if x.path == ap), None)
        tn = fw_type_of_constructor(f) if f else None
        md = pkg.methods.get((tn, 'Metadata')) if tn else None
        if not md:
            continue
        type_name = None
        for op, _k, before in md.text.ops(('=',), *md.body):
            mm = TYPE_NAME_RE.match(md.text.src, md.text.c(op.end_byte)) if before.endswith('TypeName') else None
            if mm:
                type_name = mm.group(1)
                break
        if type_name and type_name in wanted and type_name not in found:
            found[type_name] = ('framework', rel_dir, ap, fname)
    return found


TYPE_NAME_RE = re.compile(r'\s*"([^"]+)"')


def region_mechanism(tree: Tree) -> str | None:
    """The provider file declaring the v6 `forceNewIfRegionChanges` interceptor, if any."""
    for rel, ap in tree.files_under('internal/provider').items():
        with open(ap, encoding='utf-8') as fh:
            src = fh.read()
        if 'forceNewIfRegionChanges' not in src:
            continue
        t = GoText(src)
        if any(t.text(field_node(d, 'name')) == 'forceNewIfRegionChanges'
               for d in t.root.named_children if d.type == 'function_declaration'):
            return rel
    return None


class Conditional(TypedDict):
    """A conditional rule of the output: the Pulumi path, when it forces replacement, and what says so."""
    path: str | None
    when: str
    source: str
    expr: NotRequired[str]


class TypeEntry(TypedDict, total=False):
    """The output's entry for one resource type (keys in the order they are written)."""
    forceNew: list[str]
    conditional: list[Conditional]
    terraform: str
    kind: str
    error: str
    source: str | None
    sourceTree: str
    forceNewNotPulumiInputs: list[str]
    sdkInputsNotInSource: list[str]


def analyse_aws(tree: Tree, sdk: SdkTypes | None, warnings: list[str], problems: list[str]) -> dict[str, TypeEntry]:
    names = load_names(tree.base)
    for ov in tree.overlays:
        names.update(load_names(ov))
    found = locate(tree, 'internal/service', set(AWS_TYPES.values()))
    region_rel = region_mechanism(tree)
    out: dict[str, TypeEntry] = {}
    for token, tf_type in AWS_TYPES.items():
        entry: TypeEntry = {'forceNew': [], 'conditional': [], 'terraform': tf_type}
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
        if f is None:   # an annotation with no constructor after it (none in the provider trees read so far)
            raise ValueError(f"{token}: no constructor function for {tf_type} in {path}")
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
            fw_attrs = fw_find_schema(pkg, tn, r)[0] if tn else None
            if fw_attrs is None:
                problems.append(f"{token}: framework schema of {tn} not found")
                fw_attrs = {}
            attrs = fw_attrs
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
        conditional: list[Conditional] = []
        for c in cond:
            tfp = c.get('tf_path')
            special = SPECIAL_CONDITIONS.get((tf_type, tfp)) if tfp else None
            pu_path = c.get('pulumi') or (mapping.get(tfp) or '.'.join(camel(x) for x in tfp.split('.')) if tfp else None)
            if special:
                when = special
            elif 'when' in c:
                when = c['when']
            elif c.get('condition'):
                when = condense_condition(c['condition'])
            else:
                when = 'see source'
            item: Conditional = {'path': pu_path, 'when': when, 'source': c['how']}
            if 'expr' in c:
                item['expr'] = c['expr']
            if item['path'] in entry['forceNew']:
                continue  # already unconditional
            conditional.append(item)
        # merge conditionals with the same path and source (several ForceNew calls for one attribute)
        merged: dict[tuple[str | None, str], Conditional] = {}
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


PROVIDER_TYPE_NAME_RE = re.compile(r'\s*req\.ProviderTypeName\s*\+\s*"(_\w+)"')


def analyse_random(root: str, sdk_random: str | None, warnings: list[str], problems: list[str]) -> dict[str, TypeEntry]:
    d = os.path.join(root, 'internal', 'provider')
    index_modifier_descriptions(os.path.join(root, 'internal'))
    pkg = load_package(d)
    r = Resolver(pkg, {}, warnings)
    # resource type names from Metadata methods: resp.TypeName = req.ProviderTypeName + "_password"
    types: dict[str, str] = {}   # tf type -> the resource's Go type
    for (recv, name), f in pkg.methods.items():
        if name != 'Metadata':
            continue
        m = next((mm for op, _k, before in f.text.ops(('=',), *f.body) if before.endswith('TypeName')
                  for mm in [PROVIDER_TYPE_NAME_RE.match(f.text.code, f.text.c(op.end_byte))] if mm), None)
        if m and 'resource.MetadataRequest' in f.text.code[f.start:f.body[0]]:
            types['random' + m.group(1)] = recv
    out: dict[str, TypeEntry] = {}
    for token, tf_type in RANDOM_TYPES.items():
        entry: TypeEntry = {'forceNew': [], 'conditional': [], 'terraform': tf_type, 'kind': 'framework'}
        go_type = types.get(tf_type)
        if not go_type:
            problems.append(f"{token}: {tf_type} not found")
            entry['error'] = 'resource not found in source tree'
            out[token] = entry
            continue
        attrs, schema_method = fw_find_schema(pkg, go_type, r)
        entry['source'] = os.path.relpath(schema_method.path, root) if schema_method else None
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
