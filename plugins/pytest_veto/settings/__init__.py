"""Run settings: the command-line options and ini keys of the plugin, resolved once.

Every option that sets a threshold can also be given in ``[tool.pytest.ini_options]``
as ``veto_<name>`` (e.g. ``veto_mar_max = 10``); the command line wins.

The settings come in parts, one per concern (the model and its backend, the data, the
VETO gates, the logit lens, Mis-Align, the output); each part is read and checked by
its own function, and :func:`resolve` puts them together and then checks what the parts
ask of each other: a gate or report needs a model, a primed gate needs its variant, an
output must not overwrite an input. Every problem is a ``pytest.UsageError`` (exit 4)
before any model is asked anything.
"""

from pytest_veto.settings.options import GATE_OPTIONS, THRESHOLDS, add_options
from pytest_veto.settings.resolve import (
    DataSettings,
    GateSettings,
    ModelSettings,
    OutputSettings,
    RunSettings,
    resolve,
)
from pytest_veto.settings.suites import LensSettings, MisalignSettings

__all__ = [
    "GATE_OPTIONS",
    "THRESHOLDS",
    "DataSettings",
    "GateSettings",
    "LensSettings",
    "MisalignSettings",
    "ModelSettings",
    "OutputSettings",
    "RunSettings",
    "add_options",
    "resolve",
]
