"""Terraform Plugin SDKv2 resources: the `Schema`/`SchemaFunc` map of a constructor, `ForceNew` at any
depth, and the ForceNew calls of its `CustomizeDiff`.
"""

from __future__ import annotations

import os
import re

from tree_sitter import Node

from .goread import (
    IDENT_KINDS,
    Func,
    GoText,
    assigns_true,
    enclosing_conditions,
    expr_end,
    field_node,
    ident_local_assignment,
    keyed,
    last_word,
    returns_in,
    strip_span,
)
from .model import Attr, Resolver, merge_attr, parse_keyed, t_path


def parse_sdk_schema_map(t: GoText, lit: Node | None, r: Resolver, depth: int = 0) -> dict[str, Attr]:
    """The keyed elements of a `map[string]*schema.Schema{...}` literal (its literal_value node)."""
    return parse_keyed(t, lit, r, lambda key: f"unresolved schema key {key!r} in {os.path.basename(t_path(t, r))}",
                       lambda vs, ve, name: parse_sdk_schema_value(t, vs, ve, name, r, depth))


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
            merge_attr(attr, sub)
        return attr
    # identifier / call of a same-package helper
    m = re.fullmatch(r'(\w+)(?:\((.*)\))?', expr, re.S)
    if m and m.group(2) is None and (local := ident_local_assignment(t, s, m.group(1))):
        ls, le = local
        sub = parse_sdk_schema_value(t, ls, le, name, r, depth + 1)
        merge_attr(attr, sub)
        return attr
    if m:
        ident = m.group(1)
        if m.group(2) is not None:
            f = r.pkg.func(ident)
            if f:
                ret = r.returned_expr(f)
                if ret:
                    sub = parse_sdk_schema_value(ret[0], ret[1], ret[2], name, r, depth + 1)
                    merge_attr(attr, sub)
                    # `s := &schema.Schema{...}; s.ForceNew = true` style helpers
                    if assigns_true(f.text, f.body[0], f.body[1], r'\.\s*ForceNew'):
                        attr.force_new = True
                    return attr
        elif ident in r.pkg.vars:
            vt, vs, ve = r.pkg.vars[ident]
            sub = parse_sdk_schema_value(vt, vs, ve, name, r, depth + 1)
            merge_attr(attr, sub)
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
