"""The model suites pytest-veto ships: VETO pairs, Mis-Align items and the logit-lens
checks. The plugin collects this package when ``--model`` is given and no test path is
(``pytest --model=X``); ``pytest --pyargs pytest_veto.suite --model=X`` names it.
"""
