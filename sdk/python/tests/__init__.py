"""The SDK's own tests, standard library only. From the repository's root:

    target/guests/venv/bin/python -m unittest discover -s sdk/python/tests -t sdk/python

Importing this package puts ``sdk/python/src`` first on ``sys.path``, so
the tests run against this checkout without installing anything.
"""

import sys
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent
REPOSITORY = SDK.parent.parent
SRC = SDK / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
