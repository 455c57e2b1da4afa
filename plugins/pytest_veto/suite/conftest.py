"""The model suite's conftest: pytest-veto's plugin (the entry point) provides everything."""
