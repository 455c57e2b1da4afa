"""pytest wiring for pytest-veto (filled by the gate)."""
