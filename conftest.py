"""Repository-wide test configuration.

litellm downloads a model price list when imported unless told to use its bundled copy;
no test may reach the network, so this is set before anything can import it.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
