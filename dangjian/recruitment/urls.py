"""Pages of 发展党员."""

from django.urls import path

from dangjian.recruitment import views

app_name = "recruitment"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.applicant_new, name="new"),
    path("rules/", views.rule_sets, name="rules"),
    path("templates/", views.doc_templates, name="doc_templates"),
    path(
        "templates/default/<str:kind>.docx", views.doc_template_default, name="doc_template_default"
    ),
    path("templates/<int:template_id>/file/", views.doc_template_file, name="doc_template_file"),
    path(
        "templates/<int:template_id>/activate/",
        views.doc_template_activate,
        name="doc_template_activate",
    ),
    path("plans/<int:org_id>/<int:year>/", views.plan_edit, name="plan"),
    path("<int:applicant_id>/", views.applicant_detail, name="applicant"),
    path("<int:applicant_id>/steps/", views.step_new, name="step"),
    path("<int:applicant_id>/stop/", views.applicant_stop, name="stop"),
    path(
        "<int:applicant_id>/steps/<int:record_id>/files/",
        views.step_file_new,
        name="step_file_new",
    ),
    path("files/<int:file_id>/", views.step_file, name="step_file"),
    path("<int:applicant_id>/documents/<str:kind>.docx", views.document, name="document"),
]
