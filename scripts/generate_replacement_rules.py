#!/usr/bin/env python3
"""The replacement-rules generator's command (its package, scripts/replacement_rules/, documents it):

    venv/bin/python scripts/generate_replacement_rules.py --aws PATH --random PATH [--sdk PATH] [--out FILE] ...

The same as `venv/bin/python -m scripts.replacement_rules`; this path is the one offline/replacement_rules.json
names as `generated_by`.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from scripts.replacement_rules.cli import main  # noqa: E402 - after the repository root is importable

if __name__ == "__main__":
    sys.exit(main())
