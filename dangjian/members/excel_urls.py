"""Excel import and export of the member roll (included under /members/)."""

from django.urls import path

from dangjian.members import excel_views

urlpatterns = [
    path("import/", excel_views.member_import_page, name="import"),
    path("import/template/", excel_views.member_import_template, name="import_template"),
    path("import/errors/<str:token>/", excel_views.member_import_errors, name="import_errors"),
    path("export/", excel_views.member_export_view, name="export"),
]
