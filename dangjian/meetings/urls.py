from django.urls import include, path

app_name = "meetings"
urlpatterns = [
    path("", include("dangjian.meetings.compliance_urls")),
    path("", include("dangjian.meetings.reviews_urls")),
]
