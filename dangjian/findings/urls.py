from django.urls import path

app_name = "findings"
urlpatterns: list = []
