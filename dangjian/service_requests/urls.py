"""Pages of 群众诉求（五单闭环）, mounted at /requests/."""

from django.urls import path

from dangjian.service_requests import views

app_name = "service_requests"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("pool/", views.pool, name="pool"),
    path("board/", views.board, name="board"),
    path("overdue/", views.overdue, name="overdue"),
    path("all/", views.request_list, name="list"),
    path("stats/", views.stats, name="stats"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("photo/<int:photo_id>/", views.photo, name="photo"),
    path("<int:request_id>/", views.detail, name="detail"),
    # One POST view per step, named after it (the same verbs as the API's endpoints).
    path("<int:request_id>/claim/", views.claim, name="claim"),
    path("<int:request_id>/release/", views.release, name="release"),
    path("<int:request_id>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:request_id>/start/", views.start, name="start"),
    path("<int:request_id>/wait/", views.wait, name="wait"),
    path("<int:request_id>/resume/", views.resume, name="resume"),
    path("<int:request_id>/report/", views.report, name="report"),
    path("<int:request_id>/recategorize/", views.recategorize, name="recategorize"),
    path("<int:request_id>/reopen_by_staff/", views.reopen_by_staff, name="reopen_by_staff"),
    path("<int:request_id>/close/", views.close, name="close"),
    path("<int:request_id>/close_unresolved/", views.close_unresolved, name="close_unresolved"),
    path("<int:request_id>/escalate/", views.escalate, name="escalate"),
    path("<int:request_id>/transfer/", views.transfer, name="transfer"),
    path("home-card/", views.home_card, name="home_card"),
]
