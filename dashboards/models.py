"""Dashboards: see issue 6."""
