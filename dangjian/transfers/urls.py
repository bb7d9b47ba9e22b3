
app_name = "transfers"
urlpatterns: list = []
