"""`python -m mlwatch_server`."""

import sys

from .cli import main

sys.exit(main())
