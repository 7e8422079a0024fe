"""Demo data for the dashboards: the summaries of the demo requests (loaded just before)."""

from .services import summaries_refresh


def load(ctx):
    days = summaries_refresh(full=True)
    ctx.progress("request summaries rebuilt" if days else "request summaries current")
