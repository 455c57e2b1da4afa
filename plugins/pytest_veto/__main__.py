"""``python -m pytest_veto``."""

from __future__ import annotations

import sys

from pytest_veto.cli import main

sys.exit(main())
