from django.urls import path

from dangjian.meetings.compliance import views

urlpatterns = [
    path("compliance/", views.compliance_page, name="compliance"),
    path("plan/<int:org_id>/<int:year>/", views.plan_page, name="plan"),
]
