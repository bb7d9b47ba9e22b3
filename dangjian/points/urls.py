"""Pages of 积分与星级."""

from django.urls import path

from dangjian.points import views

app_name = "points"

urlpatterns = [
    path("", views.home, name="home"),
    path("award/", views.award, name="award"),
    path("board/", views.board, name="board"),
    path("board/print/", views.board_print, name="board_print"),
    path("periods/close/", views.period_close, name="period_close"),
    path("mine/", views.passbook, name="passbook"),
    path("mine/claim/", views.claim_new, name="claim_new"),
    path("mine/commitment/", views.commitment_edit, name="commitment"),
    path("member/<int:member_id>/", views.member_passbook, name="member"),
    path("claims/<int:claim_id>/decide/", views.claim_decide, name="claim_decide"),
    path("claims/<int:claim_id>/evidence/", views.claim_evidence, name="claim_evidence"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="reverse"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/schemes/new/", views.scheme_new, name="scheme_new"),
    path("catalogue/schemes/<int:scheme_id>/", views.scheme_edit, name="scheme_edit"),
    path("catalogue/schemes/<int:scheme_id>/items/", views.item_new, name="item_new"),
    path("catalogue/items/<int:item_id>/toggle/", views.item_toggle, name="item_toggle"),
    path("stars/", views.stars, name="stars"),
    path("stars/new/", views.star_review_new, name="star_review_new"),
    path("stars/<int:review_id>/", views.review_detail, name="review"),
    path("stars/<int:review_id>/publish/", views.review_publish, name="review_publish"),
    path("stars/<int:review_id>/withdraw/", views.review_withdraw, name="review_withdraw"),
    path(
        "stars/<int:review_id>/ratings/<int:rating_id>/",
        views.rating_adjust,
        name="rating_adjust",
    ),
    path("home-card/", views.home_card, name="home_card"),
]
