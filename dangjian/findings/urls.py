from django.urls import path

from dangjian.findings import views

app_name = "findings"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.finding_new, name="new"),
    path("<int:finding_id>/", views.finding_detail, name="detail"),
    path("<int:finding_id>/responsibilities/", views.responsibility_add, name="responsibility_add"),
    path("<int:finding_id>/remedies/", views.remedy_add, name="remedy_add"),
    path("remedies/<int:remedy_id>/done/", views.remedy_done, name="remedy_done"),
    path("remedies/<int:remedy_id>/evidence/", views.remedy_evidence, name="remedy_evidence"),
    path("<int:finding_id>/<str:action>/", views.finding_transition, name="transition"),
]
