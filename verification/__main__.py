"""``python -m verification``: the command line (:mod:`verification.cli`)."""

import sys

from verification.cli import main

sys.exit(main())
