"""Page URLs of the notifications app."""

app_name = "notifications"
urlpatterns: list = []
