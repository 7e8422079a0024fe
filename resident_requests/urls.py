"""Page URLs of the resident_requests app: public pages under /requests/, members' under /member/."""

from django.urls import path

from . import todo, views

app_name = "resident_requests"
urlpatterns = [
    path("requests/new/", views.request_new, name="new"),
    path("requests/new/buildings/", views.buildings_lookup, name="buildings_lookup"),
    path("requests/new/similar/", views.similar_lookup, name="similar_lookup"),
    path("requests/support/", views.request_support, name="support"),
    # The public view of a request ("me too" supporters' link): signed ref, redacted content.
    path("requests/p/<str:ref>/", views.request_public, name="public"),
    # 附近已知的问题: the public map and list of approved requests (redacted, no names).
    path("problems/", views.problems_public, name="problems"),
    path("requests/submitted/<str:token>/", views.request_submitted, name="submitted"),
    path("requests/track/", views.request_track, name="track"),
    path("requests/t/<str:token>/", views.request_by_token, name="token"),
    # "My requests" by phone number: a code by SMS, then the list (the phone kept 30 minutes).
    path("requests/mine/", views.my_requests, name="mine"),
    path("requests/mine/code/", views.my_requests_code, name="mine_code"),
    path("requests/mine/leave/", views.my_requests_leave, name="mine_leave"),
    path("member/", views.member_orders, name="member_orders"),
    path("member/login/", views.member_login, name="member_login"),
    path("member/logout/", views.member_logout, name="member_logout"),
    path("member/orders/<str:code>/", views.member_order, name="member_order"),
    # 我的待办: what the signed-in staff member or party member must act on now (todo.py).
    path("todo/", todo.todo_page, name="todo"),
    path("todo/login/", todo.todo_login, name="todo_login"),
]
