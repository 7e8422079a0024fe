"""Page URLs of the resident_requests app."""

app_name = "resident_requests"
urlpatterns: list = []
