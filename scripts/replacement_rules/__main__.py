"""`python -m scripts.replacement_rules`: the generator's command line."""

import sys

from scripts.replacement_rules.cli import main

sys.exit(main())
