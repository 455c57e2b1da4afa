"""Test support code: loopback servers and helpers shared by unit, acceptance and benchmark runs."""
