"""`python -m complaints.cli`: the `complaints` command."""

import sys

from complaints.cli import main

sys.exit(main())
