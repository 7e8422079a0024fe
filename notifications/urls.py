"""Page URLs of the notifications app: the short links that messages carry, the inbox."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("n/<str:token>", views.short_link, name="short_link"),
    path("inbox/", views.inbox, name="inbox"),
]
