"""Page URLs of party_work: public reception days, honour page and a grid's members on duty;
staff pages for the visit list, the vanguard ranking and requests made of bookings."""

from django.urls import path

from . import views

app_name = "party_work"
urlpatterns = [
    path("reception/", views.reception_list, name="reception_list"),
    path("reception/<int:pk>/book/", views.reception_book, name="reception_book"),
    path("reception/<int:pk>/booked/", views.reception_booked, name="reception_booked"),
    path("honour/", views.honour, name="honour"),
    path("party-work/grids/<int:pk>/", views.grid_duty, name="grid_duty"),
    path("party-work/visits-due/", views.visits_due, name="visits_due"),
    path("party-work/households/<int:pk>/visit/", views.household_visit, name="household_visit"),
    path("party-work/ranking/", views.ranking, name="ranking"),
    path("party-work/ranking/award/", views.ranking_award, name="ranking_award"),
    path(
        "party-work/bookings/<int:pk>/request/",
        views.booking_to_request,
        name="booking_to_request",
    ),
]
