from django.urls import include, path

from dangjian.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_new, name="new"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/edit/", views.member_edit, name="edit"),
    path("<int:member_id>/reveal/", views.member_reveal_view, name="reveal"),
    path("<int:member_id>/status/<str:change>/", views.member_status, name="status"),
    path("<int:member_id>/dossier/", views.member_dossier, name="dossier"),
    path("dossier/scans/<int:item_id>/", views.dossier_scan, name="dossier_scan"),
    path("dossier-gaps/", views.dossier_gaps, name="dossier_gaps"),
    path("dossier-settings/", views.dossier_settings_edit, name="dossier_settings"),
    path("", include("dangjian.members.excel_urls")),
    path("", include("dangjian.members.stats.urls")),
]
