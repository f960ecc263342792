"""`python -m vitrine` is the `vitrine` command."""

import sys

from vitrine.cli import main

sys.exit(main())
