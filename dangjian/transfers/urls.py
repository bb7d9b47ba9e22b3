from django.urls import path

app_name = "transfers"
urlpatterns: list = []
