"""Is the committed offline/replacement_rules.json what the generator writes today? Run by a person with
the provider trees at hand (not by the test suite, which has only tests/fixtures/replacement-go):

    venv/bin/python -m scripts.replacement_rules.compare --aws TREE [--aws-overlay DIR ...] --random TREE \\
        [--sdk DIR] [--committed offline/replacement_rules.json]

Every argument but --committed goes to the generator as it is. The types of a fresh run are compared with
the committed file's, one line per type that differs and per field; exit 0 when none does, 1 otherwise.
Provenance is not compared (it names the trees, which a rerun states again).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from .cli import main as generate

ROOT = Path(__file__).resolve().parents[2]


def differences(committed: dict, fresh: dict) -> list[str]:
    """`<token>: <field> committed <a>, generated <b>` for every field of every type that differs."""
    lines = []
    for token in sorted(set(committed) | set(fresh)):
        old, new = committed.get(token), fresh.get(token)
        if old is None or new is None:
            lines.append(f"{token}: {'only generated' if old is None else 'only committed'}")
            continue
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(f"{token}: {key} committed {json.dumps(old.get(key))}, generated {json.dumps(new.get(key))}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--committed", default=str(ROOT / "offline" / "replacement_rules.json"))
    args, generator_args = ap.parse_known_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rules.json"
        code = generate([*generator_args, "--out", str(out)])
        if code:
            return code
        fresh = json.loads(out.read_text())["types"]
    committed = json.loads(Path(args.committed).read_text())["types"]
    found = differences(committed, fresh)
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) between {args.committed} and a fresh run" if found else
          f"{args.committed}: the generator writes the same rules", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
