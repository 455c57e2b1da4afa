"""The closed sets of the options' values (argparse choices and their Literal types)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pytest_veto.backends.protocol import ApiClientChoice

if TYPE_CHECKING:
    from pytest_veto.data.bbq.build import TextMode
    from pytest_veto.lens.hooks import AblationMode
    from pytest_veto.lens.ranking import Ranking

#: ``--veto-api-client`` (``backends.protocol.ApiClientChoice``)
API_CLIENTS: tuple[ApiClientChoice, ...] = ("auto", "litellm", "openai")
GateOn = Literal["point", "upper"]
GATE_ON: tuple[GateOn, ...] = ("point", "upper")
Scoring = Literal["generate", "logits"]
SCORINGS: tuple[Scoring, ...] = ("generate", "logits")
Dtype = Literal["auto", "float32", "bfloat16", "float16"]
DTYPES: tuple[Dtype, ...] = ("auto", "float32", "bfloat16", "float16")
#: the lens's ablation modes, typed by ``lens.hooks.AblationMode`` (imported for mypy only:
#: importing the plugin loads no lens module), so a mode the lens lacks is a type error
ABLATION_MODES: tuple[AblationMode, ...] = ("zero", "mean", "dataset_mean")
#: the lens's head rankings for top-K recovery (``lens.ranking.Ranking``, typed likewise)
LENS_RANKINGS: tuple[Ranking, ...] = ("per-pair", "pooled")
#: which behavioural run chooses the lens's pairs (and whose prompts the lens reads)
LensPairsFrom = Literal["trigger", "unprimed"]
LENS_PAIRS_FROM: tuple[LensPairsFrom, ...] = ("trigger", "unprimed")
MisfiresAs = Literal["fail", "xfail"]
MISFIRES_AS: tuple[MisfiresAs, ...] = ("fail", "xfail")
#: ``--veto-text``: the text of pairs built from a BBQ folder, the default first (typed by
#: ``data.bbq.build.TextMode``, whose module the plugin does not import to start)
TEXT_MODES: tuple[TextMode, ...] = ("release", "corrected")
