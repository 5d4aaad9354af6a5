"""Terraform Plugin Framework resources: a type's `Schema` method, `RequiresReplace*` plan modifiers, and
`RequiresReplace` set in `ModifyPlan`.
"""

from __future__ import annotations

import os
import re

from tree_sitter import Node

from .goread import (
    FUNC_DECLS,
    Func,
    GoText,
    Package,
    calls_named,
    embedded_types,
    enclosing_conditions,
    expr_end,
    field_node,
    keyed,
    last_word,
    method_calls_without_args,
    strip_span,
)
from .model import Attr, Resolver, parse_keyed


def parse_fw_attributes(t: GoText, s: int, e: int, r: Resolver, depth: int = 0) -> dict[str, Attr]:
    """`map[string]schema.Attribute{...}` or `map[string]schema.Block{...}`."""
    return parse_keyed(t, t.first_brace(s, e), r, lambda key: f"unresolved framework key {key!r}",
                       lambda vs, ve, name: parse_fw_value(t, vs, ve, name, r, depth))


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
    `func RequiresReplaceX(...) ... { return &T{...} }` and `func (T) Description(...) string { return "..." }`.
    A run starts from none: what an earlier run in this process found doesn't carry over."""
    MODIFIER_DESCRIPTIONS.clear()
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


def fw_type_of_constructor(f: Func) -> str | None:
    """T of the first `&T{...}` in the constructor."""
    t = f.text
    for u in t.nodes(('unary_expression',), within=f.body_node):
        operand = field_node(u, 'operand')
        if (t.text(u).startswith('&') and operand.type == 'composite_literal'
                and field_node(operand, 'type').type == 'type_identifier'):
            return t.text(field_node(operand, 'type'))
    return None
