"""API URLs of the grids app, mounted under /api/v1/."""

urlpatterns: list = []
