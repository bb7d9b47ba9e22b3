"""Open311 GeoReport v2 compatible subset (services, requests: list, get, submit)."""

from django.urls import path

from dangjian.service_requests import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.service_list, name="services"),
    path("services/<str:service_code>.json", open311.service_definition, name="service"),
    path("requests.json", open311.requests_endpoint, name="requests"),
    path("requests/<str:service_request_id>.json", open311.request_detail, name="request"),
    path("media/<int:photo_id>", open311.media, name="media"),
]
