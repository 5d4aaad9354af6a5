"""Per provider: find each table type's resource in the tree (annotations, `Metadata` methods), read its
schema with the SDKv2 or Framework reader, and assemble its entry (forceNew paths, conditional rules,
the v6 region interceptor's rule, wire names).
"""

from __future__ import annotations

import os
import re

from .framework import fw_find_schema, fw_modify_plan_rules, fw_type_of_constructor, index_modifier_descriptions
from .goread import Func, GoText, Package, Tree, field_node, load_package, next_decl
from .model import Conditional, Resolver, TypeEntry, collect, condense_condition, load_names, normalize_tf_path
from .sdkv2 import sdk_resource_schema
from .wirenames import SdkTypes, camel, check_random_sdk, pulumi_paths

# Services whose resources are global in the AWS provider (no per-resource `region`); used only
# when no --sdk is given.
GLOBAL_SERVICES = {"iam", "cloudfront"}


# Behaviour documented in the provider that the rules must carry as data (path in TF names).
SPECIAL_CONDITIONS = {
    # aws_instance: customdiff.ForceNewIf("user_data"/"user_data_base64", d.Get("user_data_replace_on_change"))
    ("aws_instance", "user_data"): "userDataReplaceOnChange",
    ("aws_instance", "user_data_base64"): "userDataReplaceOnChange",
}


SDK_ANN = re.compile(r'^//\s*@SDKResource\("([^"]+)"', re.M)


FW_ANN = re.compile(r'^//\s*@FrameworkResource\("([^"]+)"', re.M)


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


def analyse_aws(tree: Tree, sdk: SdkTypes | None, aws_types: dict[str, str], warnings: list[str],
                problems: list[str]) -> dict[str, TypeEntry]:
    names = load_names(tree.base)
    for ov in tree.overlays:
        names.update(load_names(ov))
    found = locate(tree, 'internal/service', set(aws_types.values()))
    region_rel = region_mechanism(tree)
    out: dict[str, TypeEntry] = {}
    for token, tf_type in aws_types.items():
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


def analyse_random(root: str, sdk_random: str | None, random_types: dict[str, str], warnings: list[str],
                   problems: list[str]) -> dict[str, TypeEntry]:
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
    for token, tf_type in random_types.items():
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
            problems.extend(check_random_sdk(sdk_random, token, fn_tf))
        out[token] = entry
    return out
