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
import sys

from .goread import Tree
from .providers import analyse_aws, analyse_random
from .wirenames import SdkTypes


def table_types() -> tuple[dict[str, str], dict[str, str]]:
    """(aws types, random types) from the resource-type table, token -> Terraform resource."""
    from offline.resource_types import TYPES

    bridged = {token: row.terraform for token, row in TYPES.items() if row.terraform}
    return ({t: tf for t, tf in bridged.items() if t.startswith('aws:')},
            {t: tf for t, tf in bridged.items() if t.startswith('random:')})


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
    aws_types, random_types = table_types()
    if args.only:
        unknown = [t for t in args.only if t not in aws_types and t not in random_types]
        if unknown:
            ap.error(f"--only {unknown[0]}: no row with a `terraform` name in offline/resource_types.py")
        aws_types = {t: tf for t, tf in aws_types.items() if t in args.only}
        random_types = {t: tf for t, tf in random_types.items() if t in args.only}

    warnings: list[str] = []
    problems: list[str] = []
    tree = Tree(os.path.abspath(args.aws), [os.path.abspath(o) for o in args.aws_overlay])
    sdk = SdkTypes(args.sdk) if args.sdk else None
    types = analyse_aws(tree, sdk, aws_types, warnings, problems)
    if random_types:
        if not args.random:
            ap.error('--random is needed for ' + ', '.join(random_types))
        types.update(analyse_random(os.path.abspath(args.random), args.sdk_random, random_types, warnings, problems))

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
