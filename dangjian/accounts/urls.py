from django.contrib.auth import views as auth_views
from django.urls import path

from dangjian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("workspace/", views.workspace_switch, name="workspace"),
    path("tokens/", views.token_list, name="tokens"),
    path("people/", views.people, name="people"),
    path("grants/<int:grant_id>/end/", views.grant_end, name="grant_end"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
