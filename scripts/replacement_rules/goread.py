"""Go source read with tree-sitter-go: parsed files, their top-level functions, methods, variables,
constants and structs, and the small syntactic questions the schema readers ask. Nothing in this
module knows about Terraform.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor

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


def calls_named(t: GoText, s: int, e: int, name_re: str, args_re: str) -> list[Node]:
    """Calls in the span whose function text matches name_re (at its end) and whose argument list matches args_re."""
    out = []
    for call in t.nodes(('call_expression',), span=(s, e)):
        fn, args = call.child_by_field_name('function'), call.child_by_field_name('arguments')
        if (fn is not None and args is not None and re.search(name_re + r'$', t.text(fn))
                and re.fullmatch(args_re, t.text(args))):
            out.append(call)
    return out


def method_calls_without_args(t: GoText, a: int, b: int) -> list[str]:
    """`x.name()` calls in the span: the names, in source order."""
    fields = []
    for call in calls_named(t, a, b, r'\.\w+', r'\(\)'):
        fl = field_node(call, 'function').child_by_field_name('field')
        if fl is not None:
            fields.append((fl.start_byte, t.text(fl)))
    return [n for _p, n in sorted(fields)]


def next_decl(t: GoText, at: int, kinds: tuple[str, ...] = FUNC_DECLS) -> Node | None:
    """The first top-level declaration of these kinds that starts at or after index `at`."""
    bat = t.b(at)
    return next((d for d in t.root.named_children if d.type in kinds and d.start_byte >= bat), None)


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
