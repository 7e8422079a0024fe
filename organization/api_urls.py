"""API URLs of the organization app, mounted under /api/v1/."""

urlpatterns: list = []
