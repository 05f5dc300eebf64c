"""``python -m diplowire.devstack up|down|status``, as ``diplowire stack`` but without the CLI."""

import sys

from diplowire.devstack.cli import main

sys.exit(main(sys.argv[1:]))
