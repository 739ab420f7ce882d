"""``python -m console.exchange``: run the local exchange on its own (see :mod:`console.exchange.cli`)."""

import sys

from console.exchange.cli import main

if __name__ == "__main__":
    sys.exit(main())
