"""Page URLs of the resident_requests app: public pages under /requests/, members' under /member/."""

from django.urls import path

from . import views

app_name = "resident_requests"
urlpatterns = [
    path("requests/new/", views.request_new, name="new"),
    path("requests/new/buildings/", views.buildings_lookup, name="buildings_lookup"),
    path("requests/new/similar/", views.similar_lookup, name="similar_lookup"),
    path("requests/support/", views.request_support, name="support"),
    path("requests/submitted/<str:token>/", views.request_submitted, name="submitted"),
    path("requests/track/", views.request_track, name="track"),
    path("requests/t/<str:token>/", views.request_by_token, name="token"),
    path("member/", views.member_orders, name="member_orders"),
    path("member/login/", views.member_login, name="member_login"),
    path("member/logout/", views.member_logout, name="member_logout"),
    path("member/orders/<str:code>/", views.member_order, name="member_order"),
]
