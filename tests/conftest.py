"""Shared test set-up: hypothesis settings, and tests/reference.py importable as ``reference``."""

import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# No deadline: timings on a shared 2-core CI machine vary; the example count keeps
# the suite to seconds.
settings.register_profile("crossentropy", max_examples=60, deadline=None)
settings.load_profile("crossentropy")
