from django.urls import include, path

from dangjian.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", include("dangjian.meetings.compliance.urls")),
    path("", include("dangjian.meetings.reviews.urls")),
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_new, name="new"),
    path("new/planned/", views.meeting_new_planned, name="new_planned"),
    path("to-review/", views.review_queue, name="to_review"),
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/mine/", views.my_checkins, name="my_checkins"),
    path("checkin/<str:token>/", views.checkin, name="checkin_token"),
    path("member/<int:member_id>/", views.member_tab, name="member_tab"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>/edit/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/submit/", views.meeting_submit, name="submit"),
    path("<int:meeting_id>/reschedule/", views.meeting_reschedule, name="reschedule"),
    path("<int:meeting_id>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:meeting_id>/record/", views.meeting_start_record, name="start_record"),
    path("<int:meeting_id>/review/", views.meeting_review, name="review"),
    path("<int:meeting_id>/files/", views.meeting_files, name="files"),
    path("file/<int:file_id>/", views.meeting_file, name="file"),
    path("<int:meeting_id>/attendance/", views.attendance_edit, name="attendance"),
    path("home-card/", views.home_card, name="home_card"),
]
