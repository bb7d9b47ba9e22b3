"""Pages of 网格与联户."""

from django.urls import include, path

from dangjian.grid import views

app_name = "grid"

urlpatterns = [
    path("", views.grid_list, name="list"),
    path("new/", views.grid_new, name="new"),
    path("<int:grid_id>/", views.grid_detail, name="detail"),
    path("<int:grid_id>/edit/", views.grid_edit, name="edit"),
    path("<int:grid_id>/links/", views.grid_links, name="links"),
    path("<int:grid_id>/anchors/new/", views.anchor_new, name="anchor_new"),
    path("anchors/<int:anchor_id>/end/", views.anchor_end, name="anchor_end"),
    path("links/<int:link_id>/end/", views.link_end, name="link_end"),
    path("<int:grid_id>/import/", views.household_import, name="household_import"),
    path("mine/", views.my_households, name="my_households"),
    path("households/", views.household_list, name="households"),
    path("households/template.xlsx", views.household_template, name="household_template"),
    path("households/export.xlsx", views.household_export, name="household_export"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/status/", views.household_status, name="household_status"),
    path("households/<int:household_id>/reveal/", views.household_reveal, name="household_reveal"),
    # 村情民意, 矛盾调解 and 乡贤 live in their own app but keep their addresses and their names
    # in this namespace (grid:opinions …): the include has no namespace of its own.
    path("", include("dangjian.community.urls")),
]
