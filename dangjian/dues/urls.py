"""Pages of 党费 (mounted at /dues/)."""

from django.urls import path

from dangjian.dues import views

app_name = "dues"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export/", views.export, name="export"),
    path("mine/", views.mine, name="mine"),
    path("members/<int:member_id>/pay/", views.record, name="record"),
    path("members/<int:member_id>/backpay/", views.backpay_approve, name="backpay"),
    path("one-off/", views.one_off, name="one_off"),
    path("reductions/", views.reduction_apply, name="reduction_apply"),
    path("reductions/<int:reduction_id>/discuss/", views.reduction_discuss, name="discuss"),
    path("reductions/<int:reduction_id>/decide/", views.reduction_decide, name="decide"),
    path("orgs/<int:org_id>/mode/", views.mode_edit, name="mode"),
    path("orgs/<int:org_id>/generate/", views.generate, name="generate"),
    path("home-card/", views.home_card, name="home_card"),
]
