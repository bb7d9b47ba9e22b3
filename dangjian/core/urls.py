from django.urls import path

from dangjian.core import views

app_name = "core"
urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.notification_bell, name="bell"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<str:date>/delete/", views.calendar_delete, name="calendar_delete"),
    path("blocklist/", views.blocklist_page, name="blocklist"),
    path("blocklist/<int:entry_id>/lift/", views.blocklist_lift, name="blocklist_lift"),
]
