"""What both schema styles share: the attribute tree (`Attr`), how a schema key is resolved to its
Terraform name (`Resolver`, the provider's `names` constants), and the shapes of the rules written out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from tree_sitter import Node

from .goread import Func, GoText, Package, go_string, keyed, returns_in


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


def t_path(t: GoText, r: Resolver) -> str:
    for p, tt in r.pkg.texts.items():
        if tt is t:
            return p
    return '?'


def merge_attr(dst: Attr, src: Attr) -> None:
    for f in ('kind', 'max_items', 'force_new_expr', 'conditional', 'unresolved'):
        if getattr(src, f) and not getattr(dst, f):
            setattr(dst, f, getattr(src, f))
    dst.force_new = dst.force_new or src.force_new
    dst.computed = dst.computed or src.computed
    dst.optional = dst.optional or src.optional
    dst.required = dst.required or src.required
    for k, v in src.children.items():
        dst.children.setdefault(k, v)


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


def parse_keyed(t: GoText, lit: Node | None, r: Resolver, unresolved: Callable[[str], str],
                parse_value: Callable[[int, int, str], Attr]) -> dict[str, Attr]:
    """The attributes of a keyed schema literal (either style): each key resolved to its Terraform name and
    its value parsed; a key that can't be resolved is a warning, `unresolved(key text)`."""
    out: dict[str, Attr] = {}
    for key, vs, ve in keyed(t, lit):
        name = r.key(key)
        if name is None:
            r.warnings.append(unresolved(key.strip()))
            continue
        out[name] = parse_value(vs, ve, name)
    return out
