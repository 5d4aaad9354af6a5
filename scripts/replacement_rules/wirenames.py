"""From Terraform attribute paths to Pulumi wire names: camelCase, pluralised lists, flattened
`MaxItems: 1` blocks, confirmed against the installed Pulumi SDK's getters when it is given.
"""

from __future__ import annotations

import os
import re

from .model import Attr


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


def check_random_sdk(sdk_root: str, token: str, tf_paths: list[str]) -> list[str]:
    p = os.path.join(sdk_root, 'random_password.py')
    if not os.path.exists(p):
        return [f"{token}: SDK file random_password.py not found"]
    text = open(p, encoding='utf-8').read()
    wires = set(re.findall(r'@pulumi\.getter(?:\(name="([^"]+)"\))?', text)) | set(re.findall(r'def (\w+)\(self\)', text))
    return [f"{token}: {camel(x)} not an SDK property" for x in tf_paths if camel(x) not in wires and x not in wires]
