from django.urls import path

from dangjian.transfers import views

app_name = "transfers"
urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("new/", views.transfer_new, name="new"),
    path("out/", views.transfer_out, name="out"),
    path("in/", views.transfer_in, name="in"),
    path("picker/branches/", views.branch_picker, name="branch_picker"),
    path("picker/members/", views.member_picker, name="member_picker"),
    path("<int:transfer_id>/", views.transfer_detail, name="detail"),
    path("<int:transfer_id>/approve/", views.transfer_approve_view, name="approve"),
    path("<int:transfer_id>/accept/", views.transfer_accept_view, name="accept"),
    path("<int:transfer_id>/return/", views.transfer_return_view, name="return"),
    path("<int:transfer_id>/revoke/", views.transfer_revoke_view, name="revoke"),
    path("<int:transfer_id>/letter/", views.letter_html, name="letter"),
    path("<int:transfer_id>/letter.docx", views.letter_docx, name="letter_docx"),
]
