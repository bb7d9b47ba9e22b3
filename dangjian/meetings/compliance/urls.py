from django.urls import path

from dangjian.meetings import compliance_views

urlpatterns = [
    path("compliance/", compliance_views.compliance_page, name="compliance"),
    path("plan/<int:org_id>/<int:year>/", compliance_views.plan_page, name="plan"),
]
