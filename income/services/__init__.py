"""Writes of the income app: stored projections, month-start snapshots, settings."""
