"""API URLs of the resident_requests app, mounted under /api/v1/."""

urlpatterns: list = []
