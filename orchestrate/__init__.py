"""Dagster code location for the Meltano project (``dagster dev -m orchestrate.definitions``)."""
