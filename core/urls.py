"""Page URLs of core: the two-factor pages that every sign-in shares (core.two_factor)."""

from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("login/code/", views.two_factor_code, name="two_factor_code"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
]
