"""Mis-Align Bench (SaVaCu, veto-spec section 7): items, judging, metrics, Stage I tools.

The gate's data flow, each step a plain function:
``items.load_items`` -> ``prompting.requests_for(item, template)`` -> backend ->
``template.verdict`` -> ``metrics.evaluate`` (Coverage, FFR, Alignment Score; overall,
per dimension, per domain).
Stage I data tools: ``simhash.fingerprints`` + ``neardup.dedup`` (SimHash),
``stage_one.label_prompts``, ``stage_one.pair_prompts``; on the command line
``pytest-veto misalign {dedup,label,pair}``.

Importing this package imports none of its submodules (import each from its module,
e.g. ``from pytest_veto.misalign.items import load_items``); numpy and jsonschema load
only when used.
"""
