"""``python -m tams_reference``: see :mod:`tams_reference.cli`."""

import sys

from tams_reference.cli import main

sys.exit(main())
