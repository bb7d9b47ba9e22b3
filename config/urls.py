from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api
from dangjian.orgs import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url="/static/img/favicon.svg", permanent=True)),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("findings/", include("dangjian.findings.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("points/", include("dangjian.points.urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("grid/", include("dangjian.grid.urls")),
    path("requests/", include("dangjian.service_requests.urls")),
    path("s/", include("dangjian.service_requests.public_urls")),
    path("open311/v2/", include("dangjian.service_requests.open311_urls")),
    path("system/", include("dangjian.core.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler404 = "dangjian.core.views.page_not_found"
handler403 = "dangjian.core.views.permission_denied"
handler500 = "dangjian.core.views.server_error"

# No MEDIA_URL mount, not even with DEBUG: every uploaded file is served by its row's gated view
# (dangjian.core.files).
