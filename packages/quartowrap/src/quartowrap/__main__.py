"""`python -m quartowrap …`."""

import sys

from quartowrap.cli import main

sys.exit(main())
