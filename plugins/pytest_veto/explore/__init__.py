"""Exploring BBQ templates with hypothesis: strategy, property, findings."""
