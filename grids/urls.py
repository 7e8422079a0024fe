"""Page URLs of the grids app."""

app_name = "grids"
urlpatterns: list = []
