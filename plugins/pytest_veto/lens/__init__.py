"""Localizing suppression in open-weight models (veto-spec section 6).

- :mod:`~pytest_veto.lens.architecture`: where layers, final norm, head and attention
  output projections live in a loaded transformers model.
- :mod:`~pytest_veto.lens.inputs`: the lens prompt, answer tokens, padded batches.
- :mod:`~pytest_veto.lens.logit_lens`: LD after every block, in one pass per batch.
- :mod:`~pytest_veto.lens.analysis`: choosing failure/control pairs, gaps, peak,
  hand-off rate, late-layer check (pure).
- :mod:`~pytest_veto.lens.hooks`, :mod:`~pytest_veto.lens.ablation`,
  :mod:`~pytest_veto.lens.attribution`, :mod:`~pytest_veto.lens.ranking`,
  :mod:`~pytest_veto.lens.recovery`: per-head ablation (exact sweep, first-order screen),
  specificity, per-pair or pooled rankings, top-K recovery.
- :mod:`~pytest_veto.lens.plots`: PNG figures (optional matplotlib).
- :mod:`~pytest_veto.lens.pipeline`: the two entry points for the plugin.

Importing this package imports none of its submodules (import each from its module,
e.g. ``from pytest_veto.lens.pipeline import run_lens_analysis``); torch, transformers and
matplotlib load only inside the functions that use them.
"""
