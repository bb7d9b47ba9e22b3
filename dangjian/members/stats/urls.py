from django.urls import path

from dangjian.members.stats import views

urlpatterns = [
    path("stats/<int:org_id>/", views.member_stats_panel, name="stats"),
    path("alerts/<int:org_id>/", views.member_alerts_panel, name="alerts"),
]
