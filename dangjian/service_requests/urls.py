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
    path("<int:request_id>/<slug:verb>/", views.act, name="act"),
    path("home-card/", views.home_card, name="home_card"),
]
