"""Residents' pages (no account): submit a request, follow it by its tracking code, rate it."""

from django.urls import path

from dangjian.service_requests import public_views as views

app_name = "public_requests"

urlpatterns = [
    path("", views.new_request, name="new"),
    path("code/", views.send_code, name="send_code"),
    path("places/villages/", views.villages, name="villages"),
    path("places/grids/", views.grids, name="grids"),
    path("category-fields/", views.category_fields, name="category_fields"),
    path("submitted/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("r/<str:token>/", views.private, name="private"),
    path("r/<str:token>/sms/", views.sms_preference, name="sms_preference"),
    path("r/<str:token>/photo/<int:photo_id>/", views.photo, name="photo"),
]
