"""The names under which results ride from a test's report to the gate.

Each result is a plain attribute of the test report (xdist serialises a report's
``__dict__``), set only on the report of the phase that produced it. The names live
here, apart from the modules that build the results, so the plugin can read them
without importing the lens or Mis-Align packages.
"""

from __future__ import annotations

#: a VETO pair's verdict (``verdict.PairResult.to_wire``)
PAIR = "veto_result"
#: a Mis-Align item's verdict (``misalign.suite.ItemResult``)
ITEM = "veto_misalign_result"
#: the report's ``lens`` section (``lens.suite.lens_section``)
LENS = "veto_lens_result"
