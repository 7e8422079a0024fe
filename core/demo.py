"""The demo's part of core: the holiday calendar, so working-hour deadlines count holidays."""

from .workdays import calendar_seed


def load(ctx) -> None:
    added = calendar_seed()
    ctx.progress(f"holiday calendar: {added} days added")
